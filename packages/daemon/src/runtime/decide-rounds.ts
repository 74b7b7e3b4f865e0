/**
 * decide() may ask for input it was not given (peer statuses for a leader
 * race, the failsafe topology check). The runtime fetches it and calls
 * decide() again within the same cycle, a bounded number of times, with
 * the same memory: a follow-up round is the same decision, better informed.
 */
import type { Cluster, DecideInput, DecideResult, HaSettings, LocalPostgres, PeerStatus, SelfIdentity } from '@pgwarden/core';
import type { PeerPort } from '../ports.js';
import { fetchPeerStatuses, runFailsafeCheck } from './peer-checks.js';

const maxDecideRounds = 3;

export interface RoundContext {
  readonly peers: PeerPort;
  readonly self: SelfIdentity;
  readonly cluster: Cluster | undefined;
  readonly settings: HaSettings;
  readonly local: LocalPostgres;
  /** The REST API address each member published last (member keys expire in a long DCS outage). */
  readonly lastKnownApiUrls?: ReadonlyMap<string, string>;
}

export async function decideWithRounds<TMemory>(
  decide: (input: DecideInput<TMemory>) => DecideResult<TMemory>,
  base: DecideInput<TMemory>,
  context: RoundContext,
): Promise<DecideResult<TMemory>> {
  let input = base;
  let result = decide(input);
  for (let round = 1; round < maxDecideRounds; round++) {
    const asks = result.actions.filter((action) => action.type === 'fetch-peer-status' || action.type === 'failsafe-check');
    if (asks.length === 0) return result;
    let peers: readonly PeerStatus[] | undefined = input.peers;
    let accepted: readonly string[] | undefined = input.failsafeAccepted;
    for (const ask of asks) {
      if (ask.type === 'fetch-peer-status') peers = await fetchPeerStatuses(context.peers, ask.members, context.cluster, context.settings, context.lastKnownApiUrls);
      if (ask.type === 'failsafe-check') accepted = await runFailsafeCheck(context.peers, ask.members, context.self, context.local, context.settings);
    }
    input = { ...base, peers, failsafeAccepted: accepted };
    result = decide(input);
  }
  return result;
}
