/**
 * The extra input decide() may ask for within a cycle: peer statuses for the
 * leader race, and the failsafe topology check. Both run all peers in
 * parallel so the slowest peer bounds the cycle, not their sum.
 */
import { slotNameForMember, type Cluster, type HaSettings, type LocalPostgres, type PeerStatus, type SelfIdentity } from '@pgwarden/core';
import type { PeerPort } from '../ports.js';
import { failsafeTimeoutMs, peerStatusTimeoutMs, toPeerStatus } from './peer-client.js';

/**
 * Where to ask `name`: its member key, the `/failsafe` topology, or the
 * address it last published. After a DCS outage longer than ttl every
 * member key has expired, yet the members are there: the first member back
 * must still be able to ask the last leader (which has first claim on the
 * lock with `prefer_last_leader_after_dcs_outage`) and the others.
 */
function apiUrlOf(cluster: Cluster | undefined, name: string, lastKnown: ReadonlyMap<string, string>): string | undefined {
  const member = cluster?.members.find((candidate) => candidate.name === name);
  return member?.data.api_url ?? cluster?.failsafe?.[name] ?? lastKnown.get(name);
}

export async function fetchPeerStatuses(
  peers: PeerPort,
  names: readonly string[],
  cluster: Cluster | undefined,
  settings: HaSettings,
  lastKnownApiUrls: ReadonlyMap<string, string> = new Map(),
): Promise<PeerStatus[]> {
  const timeoutMs = peerStatusTimeoutMs(settings);
  return Promise.all(
    names.map(async (name): Promise<PeerStatus> => {
      const url = apiUrlOf(cluster, name, lastKnownApiUrls);
      if (url === undefined) return { name, reachable: false };
      return toPeerStatus(name, await peers.fetchStatus(url, timeoutMs));
    }),
  );
}

/** POST /failsafe to every listed member but us; the names that answered `Accepted`. */
export async function runFailsafeCheck(
  peers: PeerPort,
  members: Readonly<Record<string, string>>,
  self: SelfIdentity,
  local: LocalPostgres,
  settings: HaSettings,
): Promise<string[]> {
  const timeoutMs = failsafeTimeoutMs(settings);
  const slots: Record<string, number> = {};
  if (local.walPosition !== undefined) slots[slotNameForMember(self.name)] = local.walPosition;
  const body = { name: self.name, conn_url: self.connUrl, api_url: self.apiUrl, slots };
  const others = Object.entries(members).filter(([name]) => name !== self.name);
  const answers = await Promise.all(
    others.map(async ([name, url]) => ((await peers.postFailsafe(url, body, timeoutMs)) ? name : undefined)),
  );
  return answers.filter((name): name is string => name !== undefined);
}
