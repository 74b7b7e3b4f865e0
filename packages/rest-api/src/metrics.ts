/**
 * `GET /metrics` in the Prometheus text format (spec/rest-api.md §5.6):
 * Patroni's series in Patroni's order with `{scope,name}` labels, then
 * pgwarden's own under the `pgwarden_` prefix (cycle duration, actions,
 * DCS latency). Values come from the snapshot only.
 */
import { compareCodePoints, isUnlocked } from '@pgwarden/core';
import { isClusterValid } from './health.js';
import type { MemberView } from './member-view.js';
import type { ProcessHealth } from './options.js';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** `3.3.1` → `030301`; `4.0.0-beta` keeps the digits of each part. */
export function paddedVersion(version: string): string {
  return version
    .split('.')
    .map((part) => part.replace(/\D.*$/, '').padStart(2, '0'))
    .join('');
}

function epochSeconds(timestamp: string | null | undefined): number {
  if (timestamp === null || timestamp === undefined) return 0;
  const parsed = Date.parse(timestamp.replace(' ', 'T'));
  return Number.isNaN(parsed) ? 0 : parsed / 1000;
}

class MetricsText {
  readonly lines: string[] = [];
  constructor(readonly labelSet: string) {}

  series(name: string, type: 'gauge' | 'counter', help: string, value: number | string): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${this.labelSet} ${value}`);
  }

  labelled(name: string, type: 'gauge' | 'counter', help: string, label: string, values: Readonly<Record<string, number>>): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const base = this.labelSet.slice(0, -1);
    for (const [key, value] of Object.entries(values).sort(([a], [b]) => compareCodePoints(a, b))) {
      this.lines.push(`${name}${base},${label}="${escapeLabel(key)}"} ${value}`);
    }
  }
}

function patroniSeries(text: MetricsText, view: MemberView, nowMs: number): void {
  const snapshot = view.snapshot;
  const postgres = view.queryable ? snapshot.postgres : undefined;
  const clusterValid = isClusterValid(view, nowMs);
  const isPrimary = view.role === 'primary';
  const isReplica = view.role === 'replica';
  const syncStandby = clusterValid && view.inSyncKey;
  text.series('patroni_version', 'gauge', 'Patroni semver without periods.', paddedVersion(snapshot.version));
  text.series('patroni_postgres_running', 'gauge', 'Value is 1 if Postgres is running, 0 otherwise.', view.state === 'running' ? 1 : 0);
  text.series('patroni_postmaster_start_time', 'gauge', 'Epoch seconds since Postgres started.', epochSeconds(postgres?.postmasterStartTime));
  if (snapshot.primaryRole === 'master') text.series('patroni_master', 'gauge', 'Value is 1 if this node is the leader, 0 otherwise.', isPrimary ? 1 : 0);
  text.series('patroni_primary', 'gauge', 'Value is 1 if this node is the leader, 0 otherwise.', isPrimary ? 1 : 0);
  text.series('patroni_xlog_location', 'counter', 'Current location of the Postgres transaction log, 0 if this node is not the leader.', isPrimary ? (postgres?.walPosition ?? 0) : 0);
  text.series('patroni_standby_leader', 'gauge', 'Value is 1 if this node is the standby_leader, 0 otherwise.', view.role === 'standby_leader' ? 1 : 0);
  text.series('patroni_replica', 'gauge', 'Value is 1 if this node is a replica, 0 otherwise.', isReplica ? 1 : 0);
  text.series('patroni_sync_standby', 'gauge', 'Value is 1 if this node is a sync standby, 0 otherwise.', syncStandby && !view.quorumMode ? 1 : 0);
  text.series('patroni_quorum_standby', 'gauge', 'Value is 1 if this node is a quorum standby, 0 otherwise.', syncStandby && view.quorumMode ? 1 : 0);
  const notPrimary = postgres !== undefined && !isPrimary;
  text.series('patroni_xlog_received_location', 'counter', 'Current location of the received Postgres transaction log, 0 if this node is not a replica.', notPrimary ? view.receivedLocation : 0);
  text.series('patroni_xlog_replayed_location', 'counter', 'Current location of the replayed Postgres transaction log, 0 if this node is not a replica.', notPrimary ? view.replayedLocation : 0);
  text.series('patroni_xlog_replayed_timestamp', 'gauge', 'Current timestamp of the replayed Postgres transaction log, 0 if null.', notPrimary ? epochSeconds(postgres?.replayedTimestamp) : 0);
  text.series('patroni_xlog_paused', 'gauge', 'Value is 1 if the Postgres xlog is paused, 0 otherwise.', notPrimary && postgres?.replayPaused === true ? 1 : 0);
  const serverVersion = postgres?.serverVersion ?? 0;
  if (serverVersion >= 90600) {
    text.series('patroni_postgres_streaming', 'gauge', 'Value is 1 if Postgres is streaming, 0 otherwise.', view.replicationState === 'streaming' ? 1 : 0);
    text.series('patroni_postgres_in_archive_recovery', 'gauge', 'Value is 1 if Postgres is replicating from archive, 0 otherwise.', view.replicationState === 'in archive recovery' ? 1 : 0);
  }
  text.series('patroni_postgres_server_version', 'gauge', 'Version of Postgres (if running), 0 otherwise.', serverVersion);
  const unlocked = !clusterValid || snapshot.cluster === undefined || isUnlocked(snapshot.cluster);
  text.series('patroni_cluster_unlocked', 'gauge', 'Value is 1 if the cluster is unlocked, 0 if locked.', unlocked ? 1 : 0);
  text.series('patroni_failsafe_mode_is_active', 'gauge', 'Value is 1 if failsafe mode is active, 0 if inactive.', snapshot.failsafeActive ? 1 : 0);
  text.series('patroni_postgres_timeline', 'counter', 'Postgres timeline of this node (if running), 0 otherwise.', postgres?.timeline ?? 0);
  text.series('patroni_dcs_last_seen', 'gauge', 'Epoch timestamp when DCS was last contacted successfully by Patroni.', Math.floor((snapshot.dcsLastSeenMs ?? 0) / 1000));
  const pending = snapshot.postgres !== undefined && Object.keys(snapshot.postgres.pendingRestart).length > 0;
  text.series('patroni_pending_restart', 'gauge', 'Value is 1 if the node needs a restart, 0 otherwise.', pending ? 1 : 0);
  text.series('patroni_is_paused', 'gauge', 'Value is 1 if auto failover is disabled, 0 otherwise.', snapshot.paused ? 1 : 0);
  postgresStateSeries(text, view.state);
}

/** Patroni's PostgresqlState indexes (4.x; "should NEVER change"), for `patroni_postgres_state`. */
const POSTGRES_STATES: readonly (readonly [string, string])[] = [
  ['initdb', 'initializing new cluster'],
  ['initdb_failed', 'initdb failed'],
  ['custom_bootstrap', 'running custom bootstrap script'],
  ['custom_bootstrap_failed', 'custom bootstrap failed'],
  ['creating_replica', 'creating replica'],
  ['running', 'running'],
  ['starting', 'starting'],
  ['bootstrap_starting', 'starting after custom bootstrap'],
  ['start_failed', 'start failed'],
  ['restarting', 'restarting'],
  ['restart_failed', 'restart failed'],
  ['stopping', 'stopping'],
  ['stopped', 'stopped'],
  ['stop_failed', 'stop failed'],
  ['crashed', 'crashed'],
];
const POSTGRES_STATE_VALUES = `# Values: ${POSTGRES_STATES.map(([name], index) => `${index}=${name}`).join(', ')}`;

/** Index of `state` (`restart failed (running)` counts as `restart failed`), -1 for `unknown`. */
function postgresStateIndex(state: string): number {
  return POSTGRES_STATES.findIndex(([, text]) => state === text || (text === 'restart failed' && state.startsWith('restart failed')));
}

function postgresStateSeries(text: MetricsText, state: string): void {
  text.lines.push('# HELP patroni_postgres_state Numeric representation of Postgres state.', POSTGRES_STATE_VALUES, '# TYPE patroni_postgres_state gauge');
  text.lines.push(`patroni_postgres_state${text.labelSet} ${postgresStateIndex(state)}`);
}

function pgwardenSeries(text: MetricsText, view: MemberView, nowMs: number): void {
  const metrics = view.snapshot.metrics;
  text.series('pgwarden_is_leader', 'gauge', 'Value is 1 if this member refreshed the leader lock within ttl, 0 otherwise.', nowMs < view.leaderValidUntilMs ? 1 : 0);
  text.series('pgwarden_diverged', 'gauge', "Value is 1 if this member's history diverged from the leader's and nothing repairs it (replica checks fail), 0 otherwise.", view.diverged ? 1 : 0);
  if (metrics === undefined) return;
  text.series('pgwarden_cycles_total', 'counter', 'HA cycles completed since the agent started.', metrics.cyclesTotal);
  text.series('pgwarden_cycle_duration_seconds_total', 'counter', 'Sum of the durations of all HA cycles, seconds.', metrics.cycleDurationSecondsTotal);
  text.series('pgwarden_last_cycle_duration_seconds', 'gauge', 'Duration of the last HA cycle, seconds.', metrics.lastCycleDurationSeconds);
  text.labelled('pgwarden_actions_total', 'counter', 'Actions executed by the HA cycle, by action type.', 'action', metrics.actionsTotal);
  text.labelled('pgwarden_action_failures_total', 'counter', 'Actions that failed, by action type.', 'action', metrics.actionFailuresTotal ?? {});
  text.series('pgwarden_dcs_requests_total', 'counter', 'DCS requests made by the HA cycle.', metrics.dcsRequestsTotal ?? 0);
  text.series('pgwarden_dcs_latency_seconds_total', 'counter', 'Sum of the latencies of DCS requests, seconds.', metrics.dcsLatencySecondsTotal ?? 0);
  text.series('pgwarden_last_dcs_latency_seconds', 'gauge', 'Latency of the last DCS request, seconds.', metrics.lastDcsLatencySeconds ?? 0);
  text.series('pgwarden_dcs_errors_total', 'counter', 'DCS requests that failed.', metrics.dcsErrorsTotal ?? 0);
}

/** Cumulative `le` buckets, `_sum` and `_count`, as Prometheus histograms are written. */
function cycleHistogram(text: MetricsText, metrics: NonNullable<MemberView['snapshot']['metrics']>): void {
  const buckets = metrics.cycleDurationBuckets;
  if (buckets === undefined) return;
  const name = 'pgwarden_cycle_duration_seconds';
  const base = text.labelSet.slice(0, -1);
  text.lines.push(`# HELP ${name} Duration of HA cycles, seconds.`, `# TYPE ${name} histogram`);
  for (const bucket of buckets) text.lines.push(`${name}_bucket${base},le="${bucket.le}"} ${bucket.count}`);
  text.lines.push(`${name}_bucket${base},le="+Inf"} ${metrics.cyclesTotal}`, `${name}_sum${text.labelSet} ${metrics.cycleDurationSecondsTotal}`, `${name}_count${text.labelSet} ${metrics.cyclesTotal}`);
}

function processSeries(text: MetricsText, health: ProcessHealth): void {
  text.series('process_resident_memory_bytes', 'gauge', 'Resident memory of the agent process, bytes.', health.residentMemoryBytes);
  text.series('process_cpu_seconds_total', 'counter', 'User and system CPU time of the agent process, seconds.', health.cpuSecondsTotal);
  text.series('pgwarden_heap_used_bytes', 'gauge', 'JavaScript heap in use, bytes.', health.heapUsedBytes);
  text.series('pgwarden_event_loop_delay_max_seconds', 'gauge', 'Longest event-loop delay of the last window (it delays the lock renewal), seconds.', health.eventLoopDelayMaxSeconds);
  text.series('pgwarden_event_loop_delay_p99_seconds', 'gauge', '99th percentile event-loop delay of the last window, seconds.', health.eventLoopDelayP99Seconds);
}

export function renderMetrics(view: MemberView, nowMs: number, health?: ProcessHealth): string {
  const snapshot = view.snapshot;
  const text = new MetricsText(`{scope="${escapeLabel(snapshot.scope)}",name="${escapeLabel(snapshot.name)}"}`);
  patroniSeries(text, view, nowMs);
  pgwardenSeries(text, view, nowMs);
  if (snapshot.metrics !== undefined) cycleHistogram(text, snapshot.metrics);
  if (health !== undefined) processSeries(text, health);
  return `${text.lines.join('\n')}\n`;
}
