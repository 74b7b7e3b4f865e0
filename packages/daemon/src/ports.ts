/**
 * The small interfaces the runtime drives. The real adapters (postgres-ctl,
 * dcs-etcd, rest-api) are wrapped to fit them in `run-agent.ts`; unit tests
 * pass doubles. Keeping them here, owned by the daemon, means an adapter's
 * API can change without the cycle changing.
 *
 * Invariant: every port method either resolves or rejects; a rejection is a
 * failed action, fed to the next cycle as `lastFailure`, never a crash.
 */
import type { DemoteMode, FollowTarget, LocalPostgres, StopMode } from '@pgwarden/core';

/** Everything that touches the local PostgreSQL. */
export interface PostgresPort {
  observe(): Promise<LocalPostgres>;
  /** Only what moves between cycles (WAL positions, receiver state, standbys), cheaply; observe() is used without it. */
  observePositions?(): Promise<Partial<LocalPostgres> | undefined>;
  /** initdb (or the custom method) and start as a primary. */
  bootstrap(): Promise<void>;
  /** Clone from `source` (pg_basebackup or a configured method) and start as a replica. */
  createReplica(source: FollowTarget | undefined): Promise<void>;
  start(options: { asPrimary: boolean; follow?: FollowTarget; timeoutSeconds?: number }): Promise<void>;
  stop(options: { mode: StopMode; timeoutSeconds?: number; checkpoint?: boolean }): Promise<void>;
  restart(options: { timeoutSeconds?: number }): Promise<void>;
  reload(): Promise<void>;
  promote(options: { waitSeconds: number }): Promise<void>;
  /** Point recovery at `target` (nobody when undefined): reload or restart as PostgreSQL requires. */
  follow(target: FollowTarget | undefined): Promise<void>;
  rewind(source: FollowTarget): Promise<void>;
  /** Wipe the data directory and clone again. */
  reinitialize(source: FollowTarget | undefined): Promise<void>;
  crashRecovery(): Promise<void>;
  checkpoint(): Promise<void>;
  setSynchronousStandbyNames(value: string): Promise<void>;
  removeDataDirectory(options: { rename: boolean }): Promise<void>;
  /** Apply the effective PostgreSQL configuration (dynamic + local); returns what needs a restart. */
  applyConfiguration?(): Promise<void>;
  /** Call `listener` when the postmaster exits; returns an unsubscribe function. */
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

/** Time, injectable so unit tests do not sleep. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
