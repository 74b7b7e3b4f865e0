/**
 * The small interfaces the runtime drives. The real adapters (postgres-ctl,
 * dcs-etcd, rest-api) are wrapped to fit them in `run-agent.ts`; unit tests
 * pass doubles. Keeping them here, owned by the daemon, means an adapter's
 * API can change without the cycle changing.
 *
 * Invariant: every port method either resolves or rejects; a rejection is a
 * failed action, fed to the next cycle as `lastFailure`, never a crash.
 */
import type { DemoteMode, FollowTarget, LocalPostgres, LogicalSlotSpec, SlotMatcher, StopMode } from '@pgwarden/core';

export interface LongOperationOptions {
  readonly signal?: AbortSignal;
}

/** Everything that touches the local PostgreSQL. */
export interface PostgresPort {
  observe(): Promise<LocalPostgres>;
  /** Only what moves between cycles (WAL positions, receiver state, standbys), cheaply; observe() is used without it. */
  observePositions?(): Promise<Partial<LocalPostgres> | undefined>;
  /**
   * initdb (or the custom method) and start as a primary. `signal` (on this
   * and the other long operations): the runtime cancelled the action
   * (shutdown, or a demotion preempting it); no postmaster is started once it
   * is aborted.
   */
  bootstrap(options?: LongOperationOptions): Promise<void>;
  /** Clone from `source` (pg_basebackup or a configured method) and start as a replica. */
  createReplica(source: FollowTarget | undefined, options?: LongOperationOptions): Promise<void>;
  start(options: { asPrimary: boolean; follow?: FollowTarget; timeoutSeconds?: number }): Promise<void>;
  /** `preStopBudgetMs`: the most the CHECKPOINT and before_stop may take before the postmaster is signalled. */
  stop(options: { mode: StopMode; timeoutSeconds?: number; checkpoint?: boolean; preStopBudgetMs?: number }): Promise<void>;
  restart(options: { timeoutSeconds?: number }): Promise<void>;
  reload(): Promise<void>;
  /**
   * Run `pre_promote` (when configured), then promote. A refusal by
   * pre_promote rejects with a PgwardenError of code `pg-pre-promote-failed`;
   * `signal` cancels a running pre_promote. `skipTimelinesThrough`: the new
   * timeline must be above this one (see the `promote` action).
   */
  promote(options: { waitSeconds: number; signal?: AbortSignal; skipTimelinesThrough?: number }): Promise<void>;
  /** Point recovery at `target` (nobody when undefined): reload or restart as PostgreSQL requires. */
  follow(target: FollowTarget | undefined): Promise<void>;
  rewind(source: FollowTarget, options?: LongOperationOptions): Promise<void>;
  /** Wipe the data directory and clone again. */
  reinitialize(source: FollowTarget | undefined, options?: LongOperationOptions): Promise<void>;
  crashRecovery(): Promise<void>;
  checkpoint(): Promise<void>;
  setSynchronousStandbyNames(value: string): Promise<void>;
  /** Replication slots as decide() wants them (`sync-slots`); what was created, dropped and advanced. */
  syncReplicationSlots?(desired: {
    members: readonly string[];
    permanent: readonly string[];
    dropUnknown: boolean;
    ignore?: readonly SlotMatcher[];
    logical?: readonly LogicalSlotSpec[];
    advance?: Readonly<Record<string, number>>;
  }): Promise<{ created: readonly string[]; dropped: readonly string[]; advanced?: readonly string[] }>;
  /** Copy these logical slots from the primary `source` (restarts this replica); the names copied. */
  copyLogicalSlots?(slots: readonly LogicalSlotSpec[], source: FollowTarget): Promise<readonly string[]>;
  /**
   * The timeline history of the PostgreSQL at `source` (the leader), over a
   * replication connection as a standby's: its timeline and the
   * `[parent timeline, switchpoint]` lines (none on timeline 1). Rejects when
   * it cannot be read within `timeoutMs`.
   */
  timelineHistory(source: FollowTarget, timeoutMs: number): Promise<{ readonly timeline: number; readonly lines: readonly (readonly [number, number])[] }>;
  removeDataDirectory(options: { rename: boolean }): Promise<void>;
  /** Apply the effective PostgreSQL configuration (dynamic + local); returns what needs a restart. */
  applyConfiguration?(): Promise<void>;
  /** Call `listener` when the postmaster exits without our asking (not after our own stop); returns an unsubscribe function. */
  onPostmasterExit(listener: () => void): () => void;
  close(): Promise<void>;
}

/** Runs `postgresql.callbacks` the way Patroni does. */
export type CallbackAction = 'on_start' | 'on_stop' | 'on_restart' | 'on_reload' | 'on_role_change';

export interface CallbackPort {
  run(action: CallbackAction, role: string): void;
  close(): Promise<void>;
}

export interface WatchdogPort {
  /** False when the watchdog is required but cannot be used: such a member must not take the lock. */
  readonly usable: boolean;
  activate(): Promise<void>;
  keepalive(): Promise<void>;
  disable(): Promise<void>;
}

/** A peer's answer to GET /patroni, raw JSON or undefined when unreachable. */
export interface PeerPort {
  fetchStatus(apiUrl: string, timeoutMs: number): Promise<Record<string, unknown> | undefined>;
  /** POST /failsafe; true when the peer answered 200 `Accepted`. */
  postFailsafe(apiUrl: string, body: Record<string, unknown>, timeoutMs: number): Promise<boolean>;
}

/**
 * Time, injectable so unit tests and the simulator do not sleep.
 *
 * `nowMs()` is monotonic: every deadline, lock validity and duration of the
 * runtime is computed on it, so a wall-clock step (NTP, an operator's
 * `date -s`) can neither extend "still the leader by my own clock" nor cut it
 * short. Its values sit near the epoch (the process's time origin plus the
 * monotonic time since) so that they read like timestamps in snapshots and
 * logs, but they must never be compared with a wall-clock time. `wallMs()` is
 * for what people and other processes read (schedules, `scheduled_at`).
 * `setTimer` is the only way the runtime waits.
 */
export interface Clock {
  nowMs(): number;
  wallMs(): number;
  /** Call `callback` after `delayMs` (monotonic); returns a cancel function. */
  setTimer(callback: () => void, delayMs: number): () => void;
}

/** setTimeout fires longer delays at once: they are clamped (the runtime never waits that long). */
const maximumTimerMs = 2_147_483_647;

export const systemClock: Clock = {
  nowMs: () => performance.timeOrigin + performance.now(),
  wallMs: () => Date.now(),
  setTimer(callback, delayMs) {
    const timer = setTimeout(callback, Math.min(Math.max(0, delayMs), maximumTimerMs));
    return () => clearTimeout(timer);
  },
};
