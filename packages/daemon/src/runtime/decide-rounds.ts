/**
 * decide() may ask for input it was not given (peer statuses for a leader
 * race, the failsafe topology check, the leader's timeline history). The runtime fetches it and calls
 * decide() again within the same cycle, a bounded number of times, with
 * the same memory: a follow-up round is the same decision, better informed.
 */
import { isQuestion, switchoverHandedToMe, type Cluster, type DecideInput, type DecideResult, type HaSettings, type LeaderHistoryAnswer, type LocalPostgres, type PeerStatus, type QuestionAction, type SelfIdentity } from '@pgwarden/core';
import type { AgentLogger } from '../logger.js';
import type { PeerPort, PostgresPort } from '../ports.js';
import { fetchPeerStatuses, runFailsafeCheck } from './peer-checks.js';

const maxDecideRounds = 3;

export interface RoundContext {
  readonly peers: PeerPort;
  /** Reads the leader's timeline history (`fetch-leader-history`). */
  readonly postgres: Pick<PostgresPort, 'timelineHistory'>;
  /** Says when the leader's history could not be read (the member then follows unjudged). */
  readonly logger?: Pick<AgentLogger, 'warn'>;
  readonly self: SelfIdentity;
  readonly cluster: Cluster | undefined;
  readonly settings: HaSettings;
  readonly local: LocalPostgres;
  /** The REST API address each member published last (member keys expire in a long DCS outage). */
  readonly lastKnownApiUrls?: ReadonlyMap<string, string>;
  /**
   * Peer statuses already being fetched this cycle (see prefetchPeers): a
   * round that asks for some of these members takes them from here.
   */
  readonly prefetched?: PeerPrefetch;
}

export interface PeerPrefetch {
  readonly names: readonly string[];
  /** Undefined when the fetch failed: the round fetches itself. */
  readonly statuses: Promise<readonly PeerStatus[] | undefined>;
}

/**
 * The candidate of a switchover (or manual failover) named in `/failover`,
 * once nobody holds the leader key, asks the other members for their status
 * while it observes PostgreSQL, not after: that time has no member taking
 * writes. Only then: in an unplanned race the check that no member runs as
 * primary must be as late as it can be (the simulator's flaky-DCS incident
 * saw a second leader change when it came earlier), and not while paused.
 * Not at all when the former leader's release showed it stopped
 * (switchoverHandedToMe): then decide() needs no peer.
 */
export function prefetchPeers(context: Omit<RoundContext, 'local' | 'prefetched' | 'postgres'>): PeerPrefetch | undefined {
  const cluster = context.cluster;
  if (cluster === undefined || cluster.leader !== undefined || cluster.initialize === undefined || context.settings.paused) return undefined;
  // Handed over by a leader that published its stop: decide() asks nobody.
  if (cluster.failover?.candidate !== context.self.name || switchoverHandedToMe(cluster, context.self.name, context.settings)) return undefined;
  const names = cluster.members.map((member) => member.name).filter((name) => name !== context.self.name);
  if (names.length === 0) return undefined;
  const statuses = fetchPeerStatuses(context.peers, names, cluster, context.settings, context.lastKnownApiUrls).catch(() => undefined);
  return { names, statuses };
}

async function peerStatuses(context: RoundContext, names: readonly string[]): Promise<readonly PeerStatus[]> {
  const prefetched = context.prefetched;
  if (prefetched !== undefined && names.every((name) => prefetched.names.includes(name))) {
    const statuses = await prefetched.statuses;
    if (statuses !== undefined) return statuses.filter((status) => names.includes(status.name));
  }
  return fetchPeerStatuses(context.peers, names, context.cluster, context.settings, context.lastKnownApiUrls);
}

/**
 * The leader's history, or why it could not be read. Patroni connects with a
 * 3 s timeout; a shorter loop keeps its budget (the cycle waits for it).
 */
async function leaderHistory(context: RoundContext, ask: Extract<QuestionAction, { type: 'fetch-leader-history' }>): Promise<LeaderHistoryAnswer> {
  const key = { leader: ask.source.name ?? '', forTimeline: ask.forTimeline };
  const timeoutMs = Math.min(3000, Math.max(1000, context.settings.loopWaitSeconds * 1000));
  try {
    const history = await context.postgres.timelineHistory(ask.source, timeoutMs);
    return { ...key, ok: true, timeline: history.timeline, lines: history.lines };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    context.logger?.warn({ leader: key.leader, error: message }, 'cannot read the leader\'s timeline history; following without judging divergence from it');
    return { ...key, ok: false, message };
  }
}

export async function decideWithRounds<TMemory>(
  decide: (input: DecideInput<TMemory>) => DecideResult<TMemory>,
  base: DecideInput<TMemory>,
  context: RoundContext,
): Promise<DecideResult<TMemory>> {
  let input = base;
  let result = decide(input);
  for (let round = 1; round < maxDecideRounds; round++) {
    const asks = result.actions.filter(isQuestion);
    if (asks.length === 0) return result;
    let peers: readonly PeerStatus[] | undefined = input.peers;
    let accepted: readonly string[] | undefined = input.failsafeAccepted;
    let history: LeaderHistoryAnswer | undefined = input.leaderHistory;
    for (const ask of asks) {
      if (ask.type === 'fetch-peer-status') peers = await peerStatuses(context, ask.members);
      if (ask.type === 'failsafe-check') accepted = await runFailsafeCheck(context.peers, ask.members, context.self, context.local, context.settings);
      if (ask.type === 'fetch-leader-history') history = await leaderHistory(context, ask);
    }
    input = { ...base, peers, failsafeAccepted: accepted, ...(history === undefined ? {} : { leaderHistory: history }) };
    result = decide(input);
  }
  return result;
}
