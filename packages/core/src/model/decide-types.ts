/**
 * The input and output of `decide()`: everything observed in one cycle in,
 * the ordered actions, the one-line status and the memory to carry out.
 * Time is an input (`nowMs`); nothing here reads a clock.
 */
import type { Action } from './actions.js';
import type { Cluster } from './cluster.js';
import type { SlotMatcher } from './ignore-slots.js';
import type { LeaderHistoryAnswer, LocalPostgres, PeerStatus } from './local-state.js';
import type { LogicalSlotSpec } from './actions.js';

/** The effective HA settings of this cycle: dynamic config merged over local, timings adjusted. */
export interface HaSettings {
  readonly ttlSeconds: number;
  readonly loopWaitSeconds: number;
  readonly retryTimeoutSeconds: number;
  readonly maximumLagOnFailoverBytes: number;
  readonly primaryStartTimeoutSeconds: number;
  readonly primaryStopTimeoutSeconds: number;
  /** `max_timelines_history`: lines kept in `/history` (0, the default, keeps all). Optional: absent means 0. */
  readonly maxTimelinesHistory?: number;
  readonly synchronousMode: boolean | 'quorum';
  readonly synchronousModeStrict: boolean;
  readonly synchronousNodeCount: number;
  /**
   * `maximum_lag_on_syncnode`: above 0, a standby lagging the most advanced
   * one by more bytes is no synchronous candidate. Optional: absent means -1 (no limit).
   */
  readonly maximumLagOnSyncnodeBytes?: number;
  readonly failsafeMode: boolean;
  readonly checkTimeline: boolean;
  readonly paused: boolean;
  readonly usePgRewind: boolean;
  readonly removeDataDirectoryOnRewindFailure: boolean;
  readonly removeDataDirectoryOnDivergedTimelines: boolean;
  readonly standbyCluster?: {
    readonly host?: string;
    readonly port?: number;
    readonly primarySlotName?: string;
    readonly restoreCommand?: string;
    readonly archiveCleanupCommand?: string;
    readonly recoveryMinApplyDelay?: string;
    /** `standby_cluster.create_replica_methods`: how the standby leader is cloned from the remote member. */
    readonly createReplicaMethods?: readonly string[];
  };
  /** The local config has a `bootstrap` section (may start a new cluster). */
  readonly canBootstrap: boolean;
  /** Some create_replica_method works without a leader (`no_leader`). */
  readonly replicaMethodWithoutLeader: boolean;
  readonly watchdogMode: 'off' | 'automatic' | 'required';
  /** `postgresql.use_slots` (default true): the leader keeps a physical slot per streaming member. */
  readonly useSlots?: boolean;
  /** Names of the permanent physical slots of the dynamic configuration (`slots`). */
  readonly permanentSlots?: readonly string[];
  /**
   * The permanent logical slots of the dynamic configuration (`slots` with
   * `type: logical`, `database` and `plugin`): created on the primary, copied
   * to replicas and advanced there so they survive a failover.
   */
  readonly permanentLogicalSlots?: readonly LogicalSlotSpec[];
  /**
   * `member_slots_ttl` (Patroni 4, default 30 min; 0 turns it off): every
   * member that may become primary keeps a physical slot for each other
   * member, and the leader keeps the slot of a member that disappeared for
   * this long (`retain_slots` in `/status`). Optional: absent means 1800.
   */
  readonly memberSlotsTtlSeconds?: number;
  /** `ignore_slots` of the dynamic configuration: slots the leader never drops. */
  readonly ignoreSlots?: readonly SlotMatcher[];
  /** pgwarden beyond Patroni (off by default = Patroni's behaviour): see core README. */
  readonly preferLastLeaderAfterDcsOutage: boolean;
  /**
   * Seconds subtracted from ttl when the core judges, by its own clock, whether
   * the lock it renewed last is still valid (Patroni's watchdog `safety_margin`,
   * default 5; -1 means ttl/2). Optional: absent means 5.
   */
  readonly safetyMarginSeconds?: number;
}

/** This member's identity. */
export interface SelfIdentity {
  readonly name: string;
  readonly apiUrl: string;
  readonly connUrl: string;
  /** `postgresql.proxy_address` as Patroni publishes it (`proxy_url` in the member key). */
  readonly proxyUrl?: string;
  readonly tags: Readonly<Record<string, unknown>>;
}

/** An action that is still running in the background (Patroni's async executor). */
export interface RunningAction {
  readonly name: string;
  readonly type: Action['type'];
  readonly startedAtMs: number;
}

/** Operator requests received through the REST API since the last cycle. */
export interface OperatorRequests {
  /** `POST /restart`, now or when its schedule is due (spec/ha-loop.md §12.2). */
  readonly restart?: {
    /** Only if this member has the role (`primary`, `replica`, `standby_leader`). */
    readonly role?: string;
    /** Only if the running server is older (server_version_num form, e.g. 150004). */
    readonly postgresVersion?: number;
    /** Only if PostgreSQL reports pending restart. */
    readonly restartPending?: boolean;
    readonly timeoutSeconds?: number;
    /**
     * Set for a scheduled restart when it is due: the postmaster start time
     * seen when it was scheduled (absent when PostgreSQL was not running).
     * A different start time now means the restart already happened.
     */
    readonly scheduled?: { readonly postmasterStartTime?: string };
  };
  /** `POST /reinitialize`: `fromLeader` forbids cloning from a `clonefrom` replica. */
  readonly reinitialize?: { readonly force: boolean; readonly fromLeader: boolean };
  readonly reload?: boolean;
}

/** A failure a decide() rule reacts to; `pre-promote-failed`: the pre_promote script refused the promotion. */
export type ActionFailureCause = 'pre-promote-failed';

export interface DecideInput<TMemory = unknown> {
  /**
   * Monotonic milliseconds, read when the decision is made (after the DCS
   * read and the observation): every validity and deadline is computed on it.
   */
  readonly nowMs: number;
  /** Wall-clock epoch milliseconds, only for schedules people wrote (`scheduled_at`); `nowMs` when absent. */
  readonly wallNowMs?: number;
  readonly self: SelfIdentity;
  readonly settings: HaSettings;
  /**
   * When the DCS last confirmed that we hold the leader lock: the send time
   * of the confirmed acquire/update/take, on the monotonic clock. Undefined
   * while we hold none. The runtime keeps this one fact (its fence timer
   * runs on it) and passes it in; the lock is ours by our own clock until
   * `lockRenewedAtMs + ttl − safety_margin`.
   */
  readonly lockRenewedAtMs?: number;
  /** The DCS snapshot, or why it could not be read. */
  readonly cluster: { readonly ok: true; readonly value: Cluster } | { readonly ok: false; readonly message: string };
  readonly local: LocalPostgres;
  /** Filled in when a previous decide() of this cycle asked for them. */
  readonly peers?: readonly PeerStatus[];
  /** Members that answered `Accepted` to POST /failsafe, when asked for. */
  readonly failsafeAccepted?: readonly string[];
  /** The leader's timeline history, when a previous decide() of this cycle asked for it. */
  readonly leaderHistory?: LeaderHistoryAnswer;
  readonly running?: RunningAction;
  /**
   * Outcome of the last background action that finished since the last
   * cycle. `cause` tells a failure that a rule reacts to apart from any other
   * failure of the same action (a promotion refused by `pre_promote` versus
   * a `pg_promote` that failed).
   */
  readonly lastActionResult?: { readonly type: Action['type']; readonly ok: boolean; readonly message?: string; readonly cause?: ActionFailureCause };
  /**
   * The action that failed in the last cycle, if any. `kind` says how a lock
   * action failed: `lost` when the DCS answered that the key is not ours,
   * `unreachable` when it did not answer in time (never a lost lock).
   */
  readonly lastFailure?: { readonly action: Action; readonly message: string; readonly kind?: 'lost' | 'unreachable' };
  /**
   * The watchdog is required and this member cannot use it (no writable
   * device, or the device refused `ttl − safety_margin`): it takes no part in
   * a leader race, also as the named candidate of a switchover.
   */
  readonly watchdogUnusable?: boolean;
  readonly requests: OperatorRequests;
  /**
   * The dynamic configuration this member would publish when the cluster has
   * no `/config` yet (bootstrap.dcs, or the cached `/config` of a wiped DCS).
   */
  readonly dynamicConfig?: Readonly<Record<string, unknown>>;
  readonly memory: TMemory;
}

/** The decision record: Patroni's message plus a stable rule id and a reason. */
export interface DecideResult<TMemory = unknown> {
  readonly actions: readonly Action[];
  /** Patroni's cycle message, e.g. `no action. I am (node1), the leader with the lock`. */
  readonly message: string;
  /** Stable identifier of the rule that decided, e.g. `leader.keep-lock`. */
  readonly ruleId: string;
  /** Why, in words, when it adds to the message. */
  readonly reason?: string;
  readonly memory: TMemory;
  /**
   * Set when the actions are a question (`fetch-peer-status`,
   * `failsafe-check`, `fetch-leader-history`) and nothing else: the runtime
   * answers it and calls decide() again in the same cycle with `peers` /
   * `failsafeAccepted` / `leaderHistory` set.
   */
  readonly awaiting?: 'peers' | 'failsafe' | 'leader-history';
  /**
   * The runtime must start the next cycle no later than this: the lock we
   * hold by our own clock must be renewed (or given up) before it expires
   * while the DCS is unreachable. A runtime that ignores it is unsafe.
   */
  readonly wakeUpAtMs?: number;
  /**
   * Set while our history diverged from the leader's and nothing repairs it
   * (from a `*.diverged-stuck` rule until a rewind or re-clone succeeds, we
   * stream on the leader's timeline, or we promote — also through cycles that
   * do not judge divergence): a PostgreSQL still running here serves
   * reads of a history the cluster does not have, so the REST API's replica
   * checks fail (a departure from Patroni, which keeps answering 200).
   */
  readonly diverged?: true;
}
