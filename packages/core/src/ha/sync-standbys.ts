/**
 * Synchronous standby selection (spec/ha-loop.md §9.6, postgres.md). The
 * invariant it serves: a name is in `/sync` only while PostgreSQL already
 * waits for it, so widening goes to PostgreSQL first and the DCS second,
 * narrowing to the DCS first and PostgreSQL second (incident #6).
 *
 * Choice (postgres.md §11): streaming standbys of eligible members, by
 * `sync_priority`, then those already in `/sync`, then position; a standby
 * lagging more than `maximum_lag_on_syncnode` is skipped, so a lagging one is
 * swapped for a healthy one — narrowed out of `/sync` first by the caller.
 */
import { compareCodePoints } from '../compare.js';
import type { ReplicationConnection } from '../model/local-state.js';

/** A member that may be synchronous, with Patroni 4's `sync_priority` (higher is preferred). */
export interface SyncEligibleMember {
  readonly name: string;
  readonly syncPriority: number;
}

export interface SyncSelectionInput {
  readonly replication: readonly ReplicationConnection[];
  /** Members allowed to be synchronous (present in the cluster, not nosync, sync_priority > 0). */
  readonly eligible: readonly SyncEligibleMember[];
  readonly count: number;
  /** Names currently in `/sync`, kept first (at equal priority) to avoid needless churn. */
  readonly current: readonly string[];
  /**
   * `maximum_lag_on_syncnode`: above 0, a standby more than this many bytes
   * behind the most advanced one is no candidate. Absent or <= 0: no limit.
   */
  readonly maximumLagBytes?: number;
  /** The primary's `synchronous_commit`: it picks the position compared (replay, write or flush). */
  readonly synchronousCommit?: string;
  /** The primary's own flush position: what a lone standby's lag is measured against. */
  readonly primaryWalPosition?: number;
}

export interface SyncSelection {
  /** Names we want in synchronous_standby_names. */
  readonly candidates: readonly string[];
  /** The subset PostgreSQL confirms as synchronous right now. */
  readonly confirmed: readonly string[];
}

function lower(names: readonly string[]): Set<string> {
  return new Set(names.map((name) => name.toLowerCase()));
}

/** The position that counts for a commit: what PostgreSQL waits for under this synchronous_commit. */
export function committedPosition(row: ReplicationConnection, synchronousCommit: string | undefined): number | undefined {
  const mode = synchronousCommit?.trim().toLowerCase();
  if (mode === 'remote_apply') return row.replayLsn;
  if (mode === 'remote_write') return row.writeLsn;
  return row.flushLsn;
}

interface Row {
  readonly name: string;
  readonly syncState: string;
  readonly lsn: number;
  readonly priority: number;
  readonly current: boolean;
}

/** Streaming rows of eligible members with a position, best first: priority, then `/sync`, then position. */
function rankedRows(input: SyncSelectionInput): Row[] {
  const priorities = new Map(input.eligible.map((member) => [member.name.toLowerCase(), member.syncPriority]));
  const current = lower(input.current);
  const rows: Row[] = [];
  for (const row of input.replication) {
    const key = row.applicationName.toLowerCase();
    const priority = priorities.get(key);
    const lsn = committedPosition(row, input.synchronousCommit);
    if (row.state !== 'streaming' || priority === undefined || lsn === undefined) continue;
    rows.push({ name: row.applicationName, syncState: row.syncState, lsn, priority, current: current.has(key) });
  }
  return rows.sort(
    (a, b) => b.priority - a.priority || Number(b.current) - Number(a.current) || b.lsn - a.lsn || compareCodePoints(a.name, b.name),
  );
}

/**
 * Patroni's reference for `maximum_lag_on_syncnode`: the most advanced
 * standby, or the primary itself when only one standby streams (a lone
 * standby is never behind itself).
 */
function referencePosition(rows: readonly Row[], primaryWalPosition: number | undefined): number | undefined {
  if (rows.length > 1) return Math.max(...rows.map((row) => row.lsn));
  return primaryWalPosition;
}

export function selectSyncStandbys(input: SyncSelectionInput): SyncSelection {
  const rows = rankedRows(input);
  const maximumLag = input.maximumLagBytes ?? -1;
  const reference = referencePosition(rows, input.primaryWalPosition);
  const healthy = rows.filter((row) => maximumLag <= 0 || reference === undefined || reference - row.lsn <= maximumLag);
  const chosen = healthy.slice(0, Math.max(0, input.count));
  const candidates = chosen.map((row) => row.name);
  // Priority mode's confirmation: under `ANY k` a `quorum` standby does not hold every commit.
  const confirmed = chosen.filter((row) => row.syncState === 'sync').map((row) => row.name);
  return { candidates: [...candidates].sort(), confirmed: [...confirmed].sort() };
}

/** The synchronous_standby_names value for these names (`*` in strict mode with none). */
export function synchronousStandbyNamesValue(candidates: readonly string[], count: number, strict: boolean): string {
  if (candidates.length === 0) return strict ? '*' : '';
  const quoted = candidates.map((name) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name}"`));
  if (quoted.length === 1 && count <= 1) return quoted[0] ?? '';
  return `${Math.min(count, quoted.length)} (${quoted.join(',')})`;
}

export function sameNames(a: readonly string[], b: readonly string[]): boolean {
  const left = lower(a);
  const right = lower(b);
  return left.size === right.size && [...left].every((name) => right.has(name));
}

export function intersectNames(a: readonly string[], b: readonly string[]): string[] {
  const right = lower(b);
  return a.filter((name) => right.has(name.toLowerCase()));
}
