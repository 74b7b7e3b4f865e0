/**
 * Small pure readings of a Cluster that several packages need (core, the REST
 * API, the CLI, haproxy-gen): one implementation each, so they agree.
 */
import { parseBoolean } from '../config/value-parsers.js';
import type { Cluster, HistoryLine, Member, SyncState } from './cluster.js';

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
/**
 * The reason of a `/history` line that stands for timeline numbers a
 * promotion skipped (see `historyActions`): it keeps the cluster timeline
 * (last line + 1) right, and is no fork point — the skipped timelines are
 * not ancestors of the leader's.
 */
export const SKIPPED_TIMELINE_REASON = 'skipped: used by another member';

export function isSkippedTimelineLine(line: HistoryLine): boolean {
  return line[2] === SKIPPED_TIMELINE_REASON;
}

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

/**
 * Patroni 4's `nosync` as read from a member's tags: the boolean tag when it
 * is published (it wins over `sync_priority`), else `sync_priority <= 0`.
 */
export function isNoSync(tags: Readonly<Record<string, unknown>> | undefined): boolean {
  const flag = tags?.['nosync'];
  if (flag !== undefined && flag !== null) return flag === true;
  const priority = tags?.['sync_priority'];
  return typeof priority === 'number' && priority <= 0;
}

/** `sync_priority` as Patroni computes it: nosync wins (0), else the tag, else 1. Higher is preferred. */
export function syncPriority(tags: Readonly<Record<string, unknown>> | undefined): number {
  if (tags?.['nosync'] === true) return 0;
  const priority = tags?.['sync_priority'];
  return typeof priority === 'number' && Number.isInteger(priority) ? priority : 1;
}

/** The cluster-wide modes a view of the cluster reads from `/config` (Patroni's global_config). */
export interface ClusterModes {
  readonly paused: boolean;
  /** Synchronous replication requested (`on`, or `quorum`), and not a standby cluster. */
  readonly synchronousMode: boolean;
  readonly quorumMode: boolean;
  /** `standby_cluster` names a `host`, `port` or `restore_command`. */
  readonly standbyCluster: boolean;
}

/** Patroni's global_config read from a `/config` value: pause, synchronous/quorum mode, standby cluster. */
export function clusterModes(config: Readonly<Record<string, unknown>> | undefined): ClusterModes {
  const data = config ?? {};
  const standby = data['standby_cluster'];
  const section = typeof standby === 'object' && standby !== null ? (standby as Record<string, unknown>) : {};
  const standbyCluster = Boolean(section['host'] || section['port'] || section['restore_command']);
  const quorumMode = String(data['synchronous_mode']).toLowerCase() === 'quorum';
  return {
    paused: parseBoolean(data['pause']) === true,
    synchronousMode: (quorumMode || parseBoolean(data['synchronous_mode']) === true) && !standbyCluster,
    quorumMode: quorumMode && !standbyCluster,
    standbyCluster,
  };
}

export type ClusterRole = 'leader' | 'standby_leader' | 'sync_standby' | 'quorum_standby' | 'replica';

/**
 * A member's role as the cluster presents it (Patroni's cluster_as_json, what
 * `GET /cluster` answers and patronictl lists): the lock holder is the leader
 * (standby_leader in a standby cluster); in synchronous mode a member that
 * `/sync` lists as a standby (not as its leader) is a sync or quorum standby.
 */
export function clusterRoleOf(cluster: Cluster, name: string, modes: ClusterModes): ClusterRole {
  if (!isUnlocked(cluster) && cluster.leader?.name === name) return modes.standbyCluster ? 'standby_leader' : 'leader';
  const lower = name.toLowerCase();
  const listed = cluster.sync?.syncStandbys.some((standby) => standby.toLowerCase() === lower) ?? false;
  if (modes.synchronousMode && listed) return modes.quorumMode ? 'quorum_standby' : 'sync_standby';
  return 'replica';
}
