/**
 * What this member publishes about itself: the member key (spec/ha-loop.md
 * §4.1) and the state/role words the REST API reports. Derived from one
 * observation plus what runs in the background, so the key never claims
 * "running" while a clone or rewind is in progress (INCIDENTS #9).
 */
import type { HaSettings, LocalPostgres, MemberData, RunningAction, SelfIdentity } from '@pgwarden/core';

/** The Patroni version we speak: members and tools compare it for feature checks. */
export const compatiblePatroniVersion = '4.0.0';

/**
 * The word published for a running primary: `primary` (Patroni 4.x), or
 * `master` (Patroni 3.x) under `pgwarden.patroni3_compat`, so that 3.x
 * members and tools that only know `master` keep working in a mixed cluster.
 */
export type PrimaryRoleName = 'primary' | 'master';

/** `role` as published with `primaryRole` for a primary; every other role unchanged. */
export function spellRole(role: string, primaryRole: PrimaryRoleName): string {
  return role === 'primary' || role === 'master' ? primaryRole : role;
}

export interface PublishedState {
  readonly state: string;
  readonly role: string;
}

export function derivePublishedState(
  local: LocalPostgres,
  running: RunningAction | undefined,
  holdsLock: boolean,
  settings: HaSettings,
  primaryRole: PrimaryRoleName = 'primary',
): PublishedState {
  return { state: deriveState(local, running), role: spellRole(deriveRole(local, running, holdsLock, settings), primaryRole) };
}

function deriveState(local: LocalPostgres, running: RunningAction | undefined): string {
  switch (running?.type) {
    case 'bootstrap':
      return 'initializing new cluster';
    case 'create-replica':
    case 'reinitialize':
      return 'creating replica';
    case 'restart':
      return 'restarting';
    case 'start':
    case 'crash-recovery':
      return local.running && local.accepting ? 'running' : 'starting';
    case 'rewind':
      return 'stopped';
    default:
      break;
  }
  if (!local.running) return 'stopped';
  return local.accepting ? 'running' : 'starting';
}

function deriveRole(local: LocalPostgres, running: RunningAction | undefined, holdsLock: boolean, settings: HaSettings): string {
  if (local.dataDirectory === 'empty' || running?.type === 'bootstrap' || running?.type === 'create-replica') return 'uninitialized';
  if (running?.type === 'promote') return 'promoted';
  const recovering = local.running && local.accepting ? local.inRecovery : local.hasRecoveryConfig;
  if (recovering) return holdsLock && settings.standbyCluster !== undefined ? 'standby_leader' : 'replica';
  return local.running ? 'primary' : 'demoted';
}

/** A boolean tag published even when false while its priority tag is set: readers must see which one wins. */
const PRIORITY_OF_BOOLEAN_TAG: Readonly<Record<string, string>> = { nofailover: 'failover_priority', nosync: 'sync_priority' };

/**
 * Boolean tags are published only when true, except `nofailover`/`nosync`
 * next to `failover_priority`/`sync_priority` (spec/config.md §3.10; Patroni 4).
 */
export function publishedTags(tags: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const published: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tags)) {
    if (value === undefined || value === null) continue;
    const priority = PRIORITY_OF_BOOLEAN_TAG[key];
    if (value === false && (priority === undefined || tags[priority] === undefined || tags[priority] === null)) continue;
    published[key] = value;
  }
  return published;
}

/**
 * A pending scheduled restart as Patroni keeps it in the member key: the
 * ISO-8601 `schedule`, the filters given with the request (`role`,
 * `postgres_version`, `restart_pending`, `timeout`) and the
 * `postmaster_start_time` seen when it was scheduled. patronictl reads it
 * from here for `list -e` and `flush restart`, so it must appear and vanish
 * with the schedule itself.
 */
export type PublishedScheduledRestart = Readonly<Record<string, unknown>>;

export function buildMemberData(
  self: SelfIdentity,
  local: LocalPostgres,
  published: PublishedState,
  settings: HaSettings,
  running: RunningAction | undefined,
  scheduledRestart?: PublishedScheduledRestart,
): MemberData {
  const data: Record<string, unknown> = {
    conn_url: self.connUrl,
    api_url: self.apiUrl,
    state: published.state,
    role: published.role,
    version: compatiblePatroniVersion,
  };
  if (self.proxyUrl !== undefined) data['proxy_url'] = self.proxyUrl;
  const tags = publishedTags(self.tags);
  if (Object.keys(tags).length > 0) data['tags'] = tags;
  const observable = (running === undefined || running.type === 'promote') && ['running', 'starting', 'restarting'].includes(published.state);
  if (observable && local.walPosition !== undefined) data['xlog_location'] = local.walPosition;
  if (observable && local.inRecovery && local.replicationState !== undefined) data['replication_state'] = local.replicationState;
  if (observable && local.timeline !== undefined) data['timeline'] = local.timeline;
  if (Object.keys(local.pendingRestart).length > 0) {
    data['pending_restart'] = true;
    data['pending_restart_reason'] = local.pendingRestart;
  }
  if (scheduledRestart !== undefined) data['scheduled_restart'] = { ...scheduledRestart };
  if (settings.paused) data['pause'] = true;
  return data as MemberData;
}
