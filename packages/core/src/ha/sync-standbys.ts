/**
 * Synchronous standby selection (spec/ha-loop.md §9.6, postgres.md). The
 * invariant it serves: a name is in `/sync` only while PostgreSQL already
 * waits for it, so widening goes to PostgreSQL first and the DCS second,
 * narrowing to the DCS first and PostgreSQL second (incident #6).
 */
import type { ReplicationConnection } from '../model/local-state.js';

export interface SyncSelectionInput {
  readonly replication: readonly ReplicationConnection[];
  /** Member names allowed to be synchronous (present in the cluster, not tagged nosync). */
  readonly eligible: readonly string[];
  readonly count: number;
  /** Names currently in `/sync`, kept first to avoid needless churn. */
  readonly current: readonly string[];
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

export function selectSyncStandbys(input: SyncSelectionInput): SyncSelection {
  const eligible = lower(input.eligible);
  const current = lower(input.current);
  const streaming = input.replication.filter(
    (row) => row.state === 'streaming' && eligible.has(row.applicationName.toLowerCase()),
  );
  const ordered = [...streaming].sort(
    (a, b) =>
      Number(current.has(b.applicationName.toLowerCase())) - Number(current.has(a.applicationName.toLowerCase())) ||
      (b.flushLsn ?? 0) - (a.flushLsn ?? 0) ||
      a.applicationName.localeCompare(b.applicationName),
  );
  const candidates = ordered.slice(0, Math.max(0, input.count)).map((row) => row.applicationName);
  const confirmed = streaming
    .filter((row) => (row.syncState === 'sync' || row.syncState === 'quorum') && candidates.includes(row.applicationName))
    .map((row) => row.applicationName);
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
