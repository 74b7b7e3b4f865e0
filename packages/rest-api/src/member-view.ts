/**
 * Everything the read endpoints derive from one snapshot, computed once in
 * `setSnapshot` so that a health check only compares two timestamps and a
 * few fields. The status object (`GET /patroni`, health-check bodies) is
 * serialised at most twice per snapshot: with and without a valid cluster.
 */
import { isPrimaryRole, isUnlocked, toPythonJson } from '@pgwarden/core';
import { parseBoolean } from './parse-values.js';
import type { MemberSnapshot } from './snapshot.js';

/** States in which Patroni queries PostgreSQL for the status object. */
const QUERYABLE_STATES = new Set(['running', 'restarting', 'starting']);

export interface MemberView {
  readonly snapshot: MemberSnapshot;
  /** The running-PostgreSQL fields are present (Patroni's status query succeeded). */
  readonly queryable: boolean;
  /** Published role: `primary`, `replica`, `standby_leader`, ... */
  readonly role: string;
  /** Published state (`unknown` when running but not answering). */
  readonly state: string;
  readonly receivedLocation: number;
  readonly replayedLocation: number;
  readonly replicationState: string | undefined;
  readonly noloadbalance: boolean;
  /** Our history diverged from the leader's and is not being repaired (snapshot.diverged). */
  readonly diverged: boolean;
  /** Listed in `/sync` (sync or quorum standby), if the cluster view is valid. */
  readonly inSyncKey: boolean;
  readonly quorumMode: boolean;
  readonly clusterValidUntilMs: number;
  readonly leaderValidUntilMs: number;
  readonly latestEndLsn: number;
  readonly tagStrings: ReadonlyMap<string, string>;
  /** Serialised status objects, [cluster invalid, cluster valid]. */
  readonly bodies: [string | undefined, string | undefined];
}

function publishedRole(snapshot: MemberSnapshot, queryable: boolean): string {
  const internal = isPrimaryRole(snapshot.role) ? 'primary' : snapshot.role;
  const postgres = snapshot.postgres;
  if (!queryable || postgres === undefined) return internal;
  if (!postgres.inRecovery) return 'primary';
  return snapshot.standbyCluster && internal === 'standby_leader' ? internal : 'replica';
}

/** Tag values as Patroni compares them against `tag_<key>=` (non-strings lower-cased). */
function tagStrings(tags: Readonly<Record<string, unknown>>): Map<string, string> {
  const result = new Map<string, string>();
  for (const [key, value] of Object.entries(tags)) {
    if (value === null || value === undefined) continue;
    result.set(key, typeof value === 'string' ? value : String(value).toLowerCase());
  }
  return result;
}

export function buildMemberView(snapshot: MemberSnapshot): MemberView {
  const postgres = snapshot.postgres;
  const queryable =
    QUERYABLE_STATES.has(snapshot.state) && postgres !== undefined && postgres.running && postgres.accepting;
  const role = publishedRole(snapshot, queryable);
  const state = !queryable && snapshot.state === 'running' ? 'unknown' : snapshot.state;
  const replayed = queryable ? (postgres?.replayedLsn ?? 0) : 0;
  const cluster = snapshot.cluster;
  const ttlMs = snapshot.ttlSeconds * 1000;
  const syncStandbys = cluster?.sync?.syncStandbys ?? [];
  const lowerName = snapshot.name.toLowerCase();
  const latestEndLsn = queryable ? (postgres?.latestEndLsn ?? 0) : 0;
  return {
    snapshot,
    queryable,
    role,
    state,
    receivedLocation: queryable ? (postgres?.receivedLsn ?? replayed) : 0,
    replayedLocation: replayed,
    replicationState: queryable && role !== 'primary' ? postgres?.replicationState : undefined,
    noloadbalance: parseBoolean(snapshot.tags['noloadbalance']) === true,
    diverged: snapshot.diverged === true,
    inSyncKey:
      role === 'replica' &&
      snapshot.synchronousMode !== false &&
      syncStandbys.some((standby) => standby.toLowerCase() === lowerName),
    quorumMode: snapshot.synchronousMode === 'quorum',
    clusterValidUntilMs:
      cluster !== undefined && snapshot.clusterReadAtMs !== undefined ? snapshot.clusterReadAtMs + ttlMs : -Infinity,
    leaderValidUntilMs: snapshot.lockRenewedAtMs !== undefined ? snapshot.lockRenewedAtMs + (snapshot.lockValidForMs ?? ttlMs) : -Infinity,
    latestEndLsn,
    tagStrings: tagStrings(snapshot.tags),
    bodies: [undefined, undefined],
  };
}

/** Python's str(datetime): a space between date and time, `+00:00` for UTC. */
export function pythonTimestamp(iso: string): string {
  return iso.replace('T', ' ').replace(/Z$/, '+00:00');
}

function xlogObject(view: MemberView): Record<string, unknown> {
  const postgres = view.snapshot.postgres;
  if (view.role === 'primary') return { location: postgres?.walPosition ?? 0 };
  return {
    received_location: view.receivedLocation,
    replayed_location: view.replayedLocation,
    replayed_timestamp: postgres?.replayedTimestamp ?? null,
    paused: postgres?.replayPaused ?? false,
  };
}

function replicationRows(view: MemberView): Record<string, unknown>[] {
  return (view.snapshot.postgres?.replication ?? []).map((row) => ({
    usename: row.userName ?? null,
    application_name: row.applicationName,
    client_addr: row.clientAddress ?? null,
    state: row.state,
    sync_state: row.syncState,
    sync_priority: row.syncPriority,
  }));
}

/** The role as `/patroni` spells it: `master` for a primary under the Patroni 3.x spelling. */
function publishedRoleWord(view: MemberView): string {
  return view.role === 'primary' ? (view.snapshot.primaryRole ?? 'primary') : view.role;
}

function runningFields(view: MemberView, clusterValid: boolean, status: Record<string, unknown>): void {
  const postgres = view.snapshot.postgres;
  if (postgres === undefined) return;
  if (postgres.postmasterStartTime !== undefined) {
    status['postmaster_start_time'] = pythonTimestamp(postgres.postmasterStartTime);
  }
  status['role'] = publishedRoleWord(view);
  status['server_version'] = postgres.serverVersion ?? 0;
  status['xlog'] = xlogObject(view);
  if (clusterValid && view.inSyncKey) status[view.quorumMode ? 'quorum_standby' : 'sync_standby'] = true;
  if (postgres.timeline !== undefined) status['timeline'] = postgres.timeline;
  if (view.replicationState !== undefined) status['replication_state'] = view.replicationState;
  if (postgres.replication.length > 0) status['replication'] = replicationRows(view);
}

/** The status object of spec/rest-api.md §3, fields in Patroni's order. */
export function buildStatusObject(view: MemberView, clusterValid: boolean): Record<string, unknown> {
  const snapshot = view.snapshot;
  const status: Record<string, unknown> = { state: view.state };
  if (view.queryable) runningFields(view, clusterValid, status);
  else {
    status['role'] = publishedRoleWord(view);
    // pgwarden's: `timeline` stays Patroni's (running only); a leader race skips this one too.
    const dataDirectoryTimeline = snapshot.postgres?.dataDirectoryTimeline;
    if (dataDirectoryTimeline !== undefined) status['data_directory_timeline'] = dataDirectoryTimeline;
  }
  if (snapshot.paused) status['pause'] = true;
  const cluster = snapshot.cluster;
  if (!clusterValid || cluster === undefined || isUnlocked(cluster)) status['cluster_unlocked'] = true;
  if (snapshot.failsafeActive) status['failsafe_mode_is_active'] = true;
  status['dcs_last_seen'] = Math.floor((snapshot.dcsLastSeenMs ?? 0) / 1000);
  if (Object.keys(snapshot.tags).length > 0) status['tags'] = snapshot.tags;
  const postgres = snapshot.postgres;
  if (postgres?.systemIdentifier) status['database_system_identifier'] = postgres.systemIdentifier;
  if (postgres !== undefined && Object.keys(postgres.pendingRestart).length > 0) {
    status['pending_restart'] = true;
    status['pending_restart_reason'] = postgres.pendingRestart;
  }
  status['patroni'] = { version: snapshot.version, scope: snapshot.scope, name: snapshot.name };
  if (snapshot.scheduledRestart !== undefined) status['scheduled_restart'] = snapshot.scheduledRestart;
  if (snapshot.watchdogFailed === true) status['watchdog_failed'] = true;
  return status;
}

/** The serialised status object, cached per snapshot and cluster validity. */
export function statusBody(view: MemberView, clusterValid: boolean): string {
  const index = clusterValid ? 1 : 0;
  let body = view.bodies[index];
  if (body === undefined) {
    body = toPythonJson(buildStatusObject(view, clusterValid));
    view.bodies[index] = body;
  }
  return body;
}
