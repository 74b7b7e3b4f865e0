/**
 * What one observation of the local PostgreSQL returns (postgres-ctl's
 * `observe()`), and the status other members report about themselves (their
 * REST API `GET /patroni`), as the core consumes them.
 */
import type { HistoryLine } from './cluster.js';

/** PostgreSQL `state` as Patroni publishes it (spec/ha-loop.md §3.2). */
export type PostgresState =
  | 'stopped'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'stop failed'
  | 'crashed'
  | 'start failed'
  | 'restarting'
  | 'restart failed'
  | 'initializing new cluster'
  | 'initdb failed'
  | 'running custom bootstrap script'
  | 'custom bootstrap failed'
  | 'creating replica'
  | 'unknown';

export type DataDirectoryState =
  /** Missing or empty: nothing to start. */
  | 'empty'
  /** pg_control readable. */
  | 'valid'
  /** Not empty, but pg_control is missing or unreadable. */
  | 'invalid'
  /** Cannot be read (permissions, I/O error). */
  | 'inaccessible';

/** One row of pg_stat_replication as seen on a primary. */
export interface ReplicationConnection {
  readonly applicationName: string;
  readonly clientAddress?: string;
  /** `streaming`, `catchup`, `startup`, `backup`. */
  readonly state: string;
  /** `async`, `sync`, `potential`, `quorum`. */
  readonly syncState: string;
  readonly syncPriority: number;
  readonly sentLsn?: number;
  readonly writeLsn?: number;
  readonly flushLsn?: number;
  readonly replayLsn?: number;
  /** Primary's WAL position minus this standby's replay position (postgres-ctl fills it). */
  readonly lagBytes?: number;
  /** pg_stat_replication.replay_lag in milliseconds, when PostgreSQL reports it. */
  readonly replayLagMs?: number;
}

/** One row of pg_replication_slots (positions in bytes). */
export interface LocalSlot {
  readonly name: string;
  readonly type: 'physical' | 'logical';
  readonly database?: string;
  readonly plugin?: string;
  readonly active: boolean;
  readonly restartLsn?: number;
  /** Logical slots: what the consumer confirmed. */
  readonly confirmedFlushLsn?: number;
  readonly catalogXmin?: number;
}

export interface LocalPostgres {
  readonly dataDirectory: DataDirectoryState;
  /** The postmaster is alive (postmaster.pid points at a live process). */
  readonly running: boolean;
  /** Accepting connections (pg_isready says so). */
  readonly accepting: boolean;
  readonly inRecovery: boolean;
  /** There is a standby.signal / recovery.signal. */
  readonly hasRecoveryConfig: boolean;
  readonly systemIdentifier?: string;
  readonly timeline?: number;
  /** Primary: current flush LSN; replica: max(received, replayed). Bytes. */
  readonly walPosition?: number;
  readonly receivedLsn?: number;
  readonly replayedLsn?: number;
  /** `streaming` or `in archive recovery` on a replica. */
  readonly replicationState?: string;
  /** WAL replay is paused (pg_is_wal_replay_paused), e.g. after the primary raised a shared-memory parameter. */
  readonly replayPaused?: boolean;
  /** pg_controldata "Database cluster state", e.g. `in production`, `shut down`. */
  readonly controlState?: string;
  /** pg_controldata "Latest checkpoint location" as bytes. */
  readonly checkpointLsn?: number;
  /** Whether pg_rewind is usable: wal_log_hints on or data checksums. */
  readonly rewindable?: boolean;
  /** Current primary_conninfo host:port (replica), to know whom we follow. */
  readonly followingHost?: string;
  readonly primarySlotName?: string;
  readonly replication: readonly ReplicationConnection[];
  /** pg_replication_slots, when the server answers (absent: not observed). */
  readonly replicationSlots?: readonly LocalSlot[];
  /** Current synchronous_standby_names. */
  readonly synchronousStandbyNames?: string;
  /** Current synchronous_commit: which standby position a synchronous commit waits for. */
  readonly synchronousCommit?: string;
  readonly pendingRestart: Readonly<Record<string, { readonly old_value: string; readonly new_value: string }>>;
  /** server_version_num, e.g. 150018. */
  readonly serverVersion?: number;
  /** ISO-8601. */
  readonly postmasterStartTime?: string;
  /**
   * Lines of `pg_wal/<timeline>.history` as `/history` stores them, when the
   * timeline is above 1: a primary publishes them; on a standby or a stopped
   * data directory the divergence check compares their fork with the leader's.
   */
  readonly timelineHistory?: readonly HistoryLine[];
  /**
   * While PostgreSQL does not answer (stopped, starting, crashed): the highest
   * timeline its data directory knows, pg_control's or a history file's in
   * `pg_wal` (a promotion writes its history file before its first
   * checkpoint on the new timeline). A leader race skips it (`timelineInUse`).
   */
  readonly dataDirectoryTimeline?: number;
  /** What postgres-ctl is doing with the instance (`starting`, `creating replica`, ...), when it knows. */
  readonly state?: PostgresState;
}

/** A peer's answer to `GET /patroni`, as needed by the leader race and failover checks. */
export interface PeerStatus {
  readonly name: string;
  /** False when the peer did not answer, or answered without an xlog object. */
  readonly reachable: boolean;
  readonly role?: string;
  readonly state?: string;
  /** Max of received and replayed location (replica) or current location (primary). */
  readonly walPosition?: number;
  readonly isPrimary?: boolean;
  /** Its timeline; for a peer without a running PostgreSQL (unreachable), its data directory's when it says. */
  readonly timeline?: number;
  readonly tags?: Readonly<Record<string, unknown>>;
  readonly watchdogFailed?: boolean;
}

/**
 * The answer to `fetch-leader-history`: the leader's timeline and the
 * `[parent timeline, switchpoint]` lines of its history (none on timeline 1),
 * or why they could not be read.
 */
export type LeaderHistoryAnswer =
  | { readonly leader: string; readonly forTimeline: number; readonly ok: true; readonly timeline: number; readonly lines: readonly (readonly [number, number])[] }
  | { readonly leader: string; readonly forTimeline: number; readonly ok: false; readonly message: string };
