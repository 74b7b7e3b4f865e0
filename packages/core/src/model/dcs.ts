/**
 * The DCS contract every adapter (etcd v3, Consul, the simulator's model)
 * implements (spec/dcs.md §2).
 *
 * Invariant: an adapter never throws for an expected failure; it returns one
 * of a closed set of outcomes. Anything it does not recognise is reported as
 * `unreachable`, never as a lost lock: only the DCS saying "someone else owns
 * the key" (or "the key is gone") may make the core demote immediately.
 * Safety does not rest on the client library noticing an expired lease: every
 * successful renewal reports the time the request was *sent* (by the
 * adapter's injected clock), so the core computes the lock's validity itself.
 */
import type {
  Cluster,
  FailoverValue,
  HistoryLine,
  MemberData,
  StatusValue,
  SyncState,
} from './cluster.js';

export type DcsFailureReason =
  /** Network error, timeout, no quorum, or an error the adapter does not recognise. */
  | 'unreachable'
  /** Compare-and-swap mismatch or create-only on an existing key. */
  | 'conflict'
  /** The key that had to exist does not. */
  | 'not-found';

export interface DcsFailure {
  readonly ok: false;
  readonly reason: DcsFailureReason;
  readonly message: string;
}

export type DcsResult<T> = { readonly ok: true; readonly value: T } | DcsFailure;

/** Outcome of acquiring or refreshing the leader lock. */
export type LockOutcome =
  /** We own the key; `renewedAtMs` is when the successful request was sent. */
  | { readonly kind: 'held'; readonly renewedAtMs: number }
  /** The DCS answered: the key is absent or owned by `owner`. */
  | { readonly kind: 'lost'; readonly owner?: string }
  | { readonly kind: 'unreachable'; readonly message: string };

export interface DcsTimings {
  readonly ttlSeconds: number;
  readonly loopWaitSeconds: number;
  readonly retryTimeoutSeconds: number;
}

export interface UpdateLeaderInput {
  /** Our WAL position, written to `/status` when the lock is still ours. */
  readonly lastLsn?: number;
  readonly slots?: Readonly<Record<string, number>>;
  /** Member slot names kept for `member_slots_ttl` (`/status` retain_slots). */
  readonly retainSlots?: readonly string[];
  /** With failsafe mode: written to `/failsafe` when changed. */
  readonly failsafe?: Readonly<Record<string, string>>;
}

/** What releaseLeader() did: the member key write and the leader key's release. */
export interface ReleaseOutcome {
  readonly member: DcsResult<void>;
  readonly leader: DcsResult<void>;
  /** The key went to `handOverTo` rather than being deleted (only with `leader` ok). */
  readonly handedOver?: boolean;
}

export interface Dcs {
  /** Backend name for logs and metrics: `etcd3`, `consul`, `model`. */
  readonly backend: string;

  /** Read every key of the cluster in one request (or from the watch cache). */
  getCluster(): Promise<DcsResult<Cluster>>;
  /** Create the leader key, bound to our lease/session, only if absent. */
  acquireLeader(): Promise<LockOutcome>;
  /** Refresh ownership; on success write `/status` and `/failsafe` as given. */
  updateLeader(input: UpdateLeaderInput): Promise<LockOutcome>;
  /** Write the leader key unconditionally (once, after bootstrap). */
  takeLeader(): Promise<LockOutcome>;
  /** Write `/status` optime when given, then delete the leader key only if ours. */
  deleteLeader(input: { readonly lastLsn?: number }): Promise<DcsResult<void>>;
  /**
   * Optional: our member key, `/status` (optime when given) and the release
   * of the leader key (only if ours) in one atomic write, so that watchers
   * see the stopped member and the free lock in one event (etcd: one txn).
   * Without it the runtime calls touchMember(), then deleteLeader().
   *
   * `handOverTo`: instead of deleting the key, write it with that member's
   * name on that member's lease (the one its member key is on, as last
   * read), in the same write and only if that member key is unchanged since;
   * otherwise the plain release. The member then holds a lock it renews
   * with its own lease. A store that cannot ignores it and releases.
   */
  releaseLeader?(input: { readonly lastLsn?: number; readonly member: MemberData; readonly handOverTo?: string }): Promise<ReleaseOutcome>;

  /** `initialize`: create-only when `createNew`, else overwrite. Default value "". */
  initialize(input: { readonly createNew: boolean; readonly sysid?: string }): Promise<DcsResult<void>>;
  cancelInitialization(): Promise<DcsResult<void>>;

  /** Write `members/<our name>` on our lease/session; skipped when unchanged. */
  touchMember(data: MemberData): Promise<DcsResult<void>>;

  /** CAS on the modification version when `version` is given. */
  setConfig(value: Readonly<Record<string, unknown>>, version?: number): Promise<DcsResult<void>>;
  setFailover(value: FailoverValue, version?: number): Promise<DcsResult<void>>;
  /** Writes `{leader, sync_standby}` (sorted, comma-joined or null); returns the new state. */
  writeSyncState(
    leader: string | null,
    standbys: readonly string[],
    version?: number,
    quorum?: number,
  ): Promise<DcsResult<SyncState>>;
  deleteSyncState(version?: number): Promise<DcsResult<void>>;
  setHistory(lines: readonly HistoryLine[]): Promise<DcsResult<void>>;
  writeStatus(status: StatusValue): Promise<DcsResult<void>>;
  writeFailsafe(value: Readonly<Record<string, string>>): Promise<DcsResult<void>>;
  /** Delete everything under the cluster prefix (`pgwardenctl remove`). */
  deleteCluster(): Promise<DcsResult<void>>;

  /**
   * Wait until the cluster changes in a way that matters (leader key changed
   * or gone; config changed; status changed while we are not the leader) or
   * `timeoutMs` passes. Resolves true when woken early.
   */
  watch(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  /** Apply new ttl/loop_wait/retry_timeout (a ttl change renews the lease). */
  configure(timings: DcsTimings): void;
  /** Stop watches and timers; does not delete any key (leases then expire). */
  close(): Promise<void>;
}
