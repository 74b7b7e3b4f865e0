/**
 * Small pure readings of a Cluster that several packages need (core, the REST
 * API, the CLI, haproxy-gen): one implementation each, so they agree.
 */
import type { Cluster, Member, SyncState } from './cluster.js';

/** Patroni 3.x publishes `master`; 4.x `primary`. Both mean primary. */
export function isPrimaryRole(role: string | undefined): boolean {
  return role === 'primary' || role === 'master';
}

export function findMember(cluster: Cluster, name: string | undefined): Member | undefined {
  if (name === undefined) return undefined;
  return cluster.members.find((member) => member.name === name);
}

/** True when nobody holds the leader key (absent or empty value). */
export function isUnlocked(cluster: Cluster): boolean {
  return cluster.leader === undefined || cluster.leader.name === '';
}

/** Cluster timeline from `/history`: last line's timeline + 1; `[]` is timeline 1; absent is 0. */
export function clusterTimeline(cluster: Cluster): number {
  const lines = cluster.history?.lines;
  if (lines === undefined) return 0;
  const last = lines[lines.length - 1];
  return last === undefined ? 1 : last[0] + 1;
}

/** Whether `name` is the `/sync` leader or one of its standbys (case-insensitive). */
export function isInSyncState(sync: SyncState | undefined, name: string): boolean {
  if (sync === undefined) return false;
  const lower = name.toLowerCase();
  return sync.leader?.toLowerCase() === lower || sync.syncStandbys.some((standby) => standby.toLowerCase() === lower);
}

/**
 * Physical replication slot name of a member (spec/dcs.md §2.2): lower-case,
 * `-` and `.` become `_`, any other character outside [a-z0-9_] becomes `u`
 * plus its code point as 4 decimal digits, truncated to 63 characters.
 */
export function slotNameForMember(name: string): string {
  let slot = '';
  for (const character of name.toLowerCase()) {
    if (/[a-z0-9_]/.test(character)) slot += character;
    else if (character === '-' || character === '.') slot += '_';
    else slot += `u${String(character.codePointAt(0) ?? 0).padStart(4, '0')}`;
  }
  return slot.slice(0, 63);
}

/** `failover_priority` as Patroni computes it: nofailover wins (0), else the tag, else 1. */
export function failoverPriority(tags: Readonly<Record<string, unknown>> | undefined): number {
  if (tags?.['nofailover'] === true) return 0;
  const priority = tags?.['failover_priority'];
  return typeof priority === 'number' && Number.isInteger(priority) ? priority : 1;
}
