/**
 * What the REST API asks of the agent: fresh DCS reads, DCS writes on the
 * operator's behalf, and requests for the cycle (restart, reinitialize,
 * reload, failsafe). The daemon implements `MemberController`; the API
 * validates every request fully before calling any method that changes
 * state, so a rejected request never reaches the controller's writes.
 *
 * Methods must not throw for expected failures: DCS methods return a
 * `DcsResult`, the others their outcome types. A thrown error is answered
 * 500 (or 400 for restart, as Patroni does) and logged.
 */
import type { Cluster, DcsResult, FailoverValue, Member, PeerStatus } from '@pgwarden/core';

/** Filters of `POST /restart` (spec/rest-api.md §8.1), validated and normalised. */
export interface RestartRequest {
  /** `primary`, `standby_leader` or `replica` (`master` is normalised to `primary`). */
  readonly role?: string;
  /** `X.Y` or `X.Y.Z`: restart only if the running server is older. */
  readonly postgresVersion?: string;
  /** Present in the request: restart only when a restart is pending. */
  readonly restartPending?: boolean;
  /** Seconds to wait for the start; default `primary_start_timeout`. */
  readonly timeoutSeconds?: number;
}

export interface ScheduledRestartRequest extends RestartRequest {
  /** ISO-8601 with offset, in the future. */
  readonly schedule: string;
}

/** Outcome of an immediate restart: 200 when ok, else 503, with the message as body. */
export interface RestartOutcome {
  readonly ok: boolean;
  /**
   * Patroni's texts: `restarted successfully`, `restart conditions are not
   * satisfied`, `<action> already in progress`, `postgres is still starting`,
   * `restart failed`.
   */
  readonly message: string;
}

/** Outcome of `POST /reinitialize`: ok → 200 `reinitialize started`, else 503 with the message. */
export type ReinitializeOutcome =
  | { readonly ok: true }
  /** `Cluster has no leader, can not reinitialize`, `I am the leader, can not reinitialize`, `<action> already in progress`. */
  | { readonly ok: false; readonly message: string };

/** Body of `POST /failsafe` sent by a leader whose DCS is unreachable (spec/ha-loop.md §10.2). */
export interface FailsafeRequest {
  readonly name: string;
  readonly conn_url?: string;
  readonly api_url?: string;
  readonly slots?: Readonly<Record<string, number>>;
}

export type FailsafeOutcome =
  /** 200 `Accepted`; `lsn` (our received/replayed position) goes out in the `lsn` header (4.x). */
  | { readonly accepted: true; readonly lsn?: number }
  /** 500 with the message, e.g. `Running as a leader`. */
  | { readonly accepted: false; readonly message: string };

export interface MemberController {
  /** Read the whole cluster from the DCS now, bypassing any cache. */
  getCluster(): Promise<DcsResult<Cluster>>;
  /** Write `/config`; compare-and-swap on the config's `version` when given. */
  setConfig(value: Readonly<Record<string, unknown>>, version?: number): Promise<DcsResult<void>>;
  /** Write `/failover`; CAS on `version` when given. `{}` clears a request. */
  setFailover(value: FailoverValue, version?: number): Promise<DcsResult<void>>;
  /**
   * `GET /patroni` of these members in parallel (Patroni: 2 s timeout); a
   * member that did not answer comes back with `reachable: false`.
   */
  fetchPeerStatuses(members: readonly Member[]): Promise<readonly PeerStatus[]>;
  /**
   * Restart PostgreSQL now if the conditions hold (the agent's decide()
   * judges them), waiting for the outcome (spec/ha-loop.md §12.2).
   */
  restart(request: RestartRequest): Promise<RestartOutcome>;
  /** Remember a scheduled restart; false when one is already scheduled. */
  scheduleRestart(request: ScheduledRestartRequest): Promise<boolean>;
  /** Forget the scheduled restart; false when none was scheduled. */
  cancelScheduledRestart(): Promise<boolean>;
  /** Re-read the local configuration before the next cycle (as SIGHUP). */
  reload(): void;
  /** Start re-cloning this replica (spec/ha-loop.md §12.3). */
  reinitialize(request: { readonly force: boolean; readonly fromLeader: boolean }): Promise<ReinitializeOutcome>;
  /** A failsafe leader says it is alive; called only when `failsafe_mode` is on. */
  acceptFailsafe(request: FailsafeRequest): FailsafeOutcome;
  /** Run the next cycle now; the routes call it after a config or failover write (the writes themselves do not wake). */
  wake(): void;
  /**
   * Optional: observe PostgreSQL's replication positions now and publish
   * them in the snapshot, so that `GET /patroni` answers live positions as
   * Patroni does (a leader weighing a switchover candidate reads them). The
   * API waits for it at most a second; health checks never call it.
   */
  refreshStatus?(): Promise<void>;
}
