/**
 * The state snapshot the agent hands to the REST API after every cycle
 * (`RestApi.setSnapshot`). Every GET endpoint except `/cluster` answers from
 * the latest snapshot alone: no PostgreSQL query and no DCS read happens on
 * the request path, so health checks stay cheap and keep answering while
 * PostgreSQL or the DCS hang.
 *
 * Invariant: the snapshot is immutable once handed over; the agent builds a
 * new object each cycle. Time-dependent rules (is the cached cluster still
 * valid, do we still hold the lock) are evaluated per request from the
 * timestamps below and the API's clock, never frozen at snapshot time.
 */
import type { Cluster, LocalPostgres, ReplicationConnection } from '@pgwarden/core';

/** One walsender row; `userName` is `pg_stat_activity.usename` when observed. */
export interface ReplicationRow extends ReplicationConnection {
  readonly userName?: string;
}

/**
 * What was observed of the local PostgreSQL this cycle: core's `LocalPostgres`
 * plus the few fields only the API publishes.
 */
export interface PostgresObservation extends LocalPostgres {
  readonly replication: readonly ReplicationRow[];
  /** `pg_last_xact_replay_timestamp()` as a string, `null` when none (replica). */
  readonly replayedTimestamp?: string | null;
  /** `pg_is_wal_replay_paused()` (replica). */
  readonly replayPaused?: boolean;
  /** `pg_stat_get_wal_receiver().latest_end_lsn` in bytes (replica, 4.x lag rule). */
  readonly latestEndLsn?: number;
}

/** Counters of the agent's cycles, exposed on `/metrics` under the `pgwarden_` prefix. */
export interface CycleMetrics {
  /** Cycles completed since the agent started. */
  readonly cyclesTotal: number;
  /** Sum of all cycle durations, seconds. */
  readonly cycleDurationSecondsTotal: number;
  readonly lastCycleDurationSeconds: number;
  /** Cycles that took at most `le` seconds, for the cycle-duration histogram (cumulative, `le` ascending). */
  readonly cycleDurationBuckets?: readonly { readonly le: number; readonly count: number }[];
  /** Actions executed, by action type (`promote`, `update-lock`, ...). */
  readonly actionsTotal: Readonly<Record<string, number>>;
  /** Actions that failed, by action type. */
  readonly actionFailuresTotal?: Readonly<Record<string, number>>;
  /** DCS requests made by the cycle and their summed latency, seconds. */
  readonly dcsRequestsTotal?: number;
  readonly dcsLatencySecondsTotal?: number;
  readonly lastDcsLatencySeconds?: number;
  /** DCS requests that failed (unreachable). */
  readonly dcsErrorsTotal?: number;
}

/** A restart scheduled through `POST /restart` and not yet run. */
export interface ScheduledRestartView {
  /** ISO-8601 with offset, as Python's isoformat() prints it. */
  readonly schedule: string;
  readonly role?: string;
  readonly postgres_version?: string;
  readonly restart_pending?: boolean;
  readonly timeout?: number;
}

export interface MemberSnapshot {
  /** Member name (`name`), scope (`scope`). */
  readonly name: string;
  readonly scope: string;
  /**
   * Version reported as `patroni.version` and `patroni_version` (digits
   * zero-padded to two each on /metrics). Tools compare it like Patroni's.
   */
  readonly version: string;
  /**
   * Internal role (spec/ha-loop.md §3.1): `primary`, `replica`,
   * `standby_leader`, `uninitialized`, `promoted`, `demoted`. `master` is
   * read as `primary`. While PostgreSQL answers, `/patroni` publishes the role
   * from `postgres.inRecovery` instead, as Patroni does.
   */
  readonly role: string;
  /** PostgreSQL state (spec/ha-loop.md §3.2), e.g. `running`, `stopped`, `restart failed (running)`. */
  readonly state: string;
  /** Last observation; undefined before the first one. */
  readonly postgres?: PostgresObservation;
  /** Effective tags (configured + temporary `nosync`); tag filters of health checks match these. */
  readonly tags: Readonly<Record<string, unknown>>;

  /** Settings of this cycle (dynamic config merged over local). */
  readonly paused: boolean;
  readonly standbyCluster: boolean;
  readonly synchronousMode: boolean | 'quorum';
  /** `failsafe_mode` is on: `POST /failsafe` is answered, else 502. */
  readonly failsafeMode: boolean;
  readonly ttlSeconds: number;
  readonly loopWaitSeconds: number;
  readonly maximumLagOnFailoverBytes: number;

  /** The cached cluster view and when it was read (epoch ms): valid for `ttl` after the read. */
  readonly cluster?: Cluster;
  readonly clusterReadAtMs?: number;
  /** Epoch ms of the last successful DCS read (`dcs_last_seen`, published in seconds). */
  readonly dcsLastSeenMs?: number;
  /**
   * Epoch ms when the request that last refreshed our leader lock was sent;
   * undefined when we do not hold it. `is_leader` ⇔ now < this + lockValidForMs (ttl by default).
   */
  readonly lockRenewedAtMs?: number;
  /**
   * How long after `lockRenewedAtMs` the agent still acts as leader: ttl less
   * its safety margin (it demotes then, before the key can expire at the DCS).
   * The health checks and `is_leader` stop answering "leader" at that moment;
   * ttl when absent (Patroni's rule).
   */
  readonly lockValidForMs?: number;
  /** Failsafe mode is active (we run as leader on the members' word, or follow a failsafe leader). */
  readonly failsafeActive: boolean;
  /** Epoch ms when the next cycle is due (`/liveness`). */
  readonly nextCycleAtMs?: number;

  readonly scheduledRestart?: ScheduledRestartView;
  /** Watchdog required but unhealthy. */
  readonly watchdogFailed?: boolean;
  /**
   * The last cycle found our history diverged from the leader's with no
   * repair under way (pg_rewind unusable or failed, re-clone not allowed):
   * PostgreSQL may still answer reads of a history the cluster does not have,
   * so the replica checks and `/readiness` answer 503 (Patroni answers 200).
   */
  readonly diverged?: boolean;
  readonly metrics?: CycleMetrics;
  /**
   * The word `/patroni` publishes for a primary: `primary` (default, Patroni
   * 4.x) or `master` (Patroni 3.x, pgwarden.patroni3_compat); `master` also
   * adds the `patroni_master` metric beside `patroni_primary`, as 3.x has both.
   */
  readonly primaryRole?: 'primary' | 'master';
}
