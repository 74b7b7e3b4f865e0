/**
 * What `decide()` asks the runtime to do, as plain data. The daemon executes
 * the list in order and stops at the first failure, which becomes an input
 * of the next cycle (`DecideInput.lastFailure`).
 *
 * Long actions (bootstrap, create-replica, promote, demote, restart, rewind,
 * reinitialize, crash-recovery, start) run in the background; while one runs
 * the next cycles see it in `DecideInput.running` (Patroni's async executor).
 */
import type { FailoverValue, HistoryLine } from './cluster.js';
import type { SlotMatcher } from './ignore-slots.js';

/** Whom a replica streams from; `undefined` fields mean "follow nobody". */
export interface FollowTarget {
  readonly name?: string;
  readonly connUrl?: string;
  /** Standby cluster: the remote primary's recovery settings. */
  readonly restoreCommand?: string;
  readonly archiveCleanupCommand?: string;
  readonly recoveryMinApplyDelay?: string;
  readonly primarySlotName?: string;
  /** Standby cluster: `standby_cluster.create_replica_methods` for a clone from the remote member. */
  readonly createReplicaMethods?: readonly string[];
}

/** A permanent logical slot as the dynamic configuration defines it. */
export interface LogicalSlotSpec {
  readonly name: string;
  readonly database: string;
  readonly plugin: string;
}

export type DemoteMode = 'offline' | 'graceful' | 'immediate' | 'immediate-nolock';
export type StopMode = 'smart' | 'fast' | 'immediate';

export type Action =
  // --- the DCS ---
  | { readonly type: 'acquire-lock' }
  | {
      readonly type: 'update-lock';
      readonly lastLsn?: number;
      readonly slots?: Readonly<Record<string, number>>;
      readonly retainSlots?: readonly string[];
      readonly failsafe?: Readonly<Record<string, string>>;
    }
  | { readonly type: 'take-lock' }
  | { readonly type: 'release-lock'; readonly lastLsn?: number }
  | { readonly type: 'write-initialize'; readonly createNew: boolean; readonly sysid?: string }
  | { readonly type: 'cancel-initialize' }
  | { readonly type: 'write-config'; readonly value: Readonly<Record<string, unknown>>; readonly version?: number }
  | { readonly type: 'write-failover'; readonly value: FailoverValue; readonly version?: number }
  | { readonly type: 'clear-failover'; readonly version?: number }
  | {
      readonly type: 'write-sync';
      readonly leader: string | null;
      readonly standbys: readonly string[];
      readonly version?: number;
      /** Quorum mode: the votes a candidate needs among `standbys` (Patroni 4's `quorum`). */
      readonly quorum?: number;
    }
  | { readonly type: 'delete-sync'; readonly version?: number }
  | { readonly type: 'write-history'; readonly lines: readonly HistoryLine[] }
  | { readonly type: 'touch-member' }
  /**
   * Replication slots: a physical one per member that streams from us and
   * each permanent physical slot, created when missing; others are dropped
   * when `dropUnknown` (only the primary does), except those `ignore` matches
   * (`ignore_slots`, see isIgnoredSlot). `logical`: permanent logical slots —
   * created on the primary; on a replica only advanced (a missing one is
   * copied by `copy-logical-slots`). `advance`: a replica moves its slots
   * forward to these positions (the leader's `/status`), never back.
   */
  | {
      readonly type: 'sync-slots';
      readonly members: readonly string[];
      readonly permanent: readonly string[];
      readonly dropUnknown: boolean;
      readonly ignore?: readonly SlotMatcher[];
      readonly logical?: readonly LogicalSlotSpec[];
      readonly advance?: Readonly<Record<string, number>>;
    }
  /**
   * A replica copies these logical slots from the primary (their `state`
   * files) and restarts to load them (spec/postgres.md §slots); background.
   */
  | { readonly type: 'copy-logical-slots'; readonly slots: readonly LogicalSlotSpec[]; readonly source: FollowTarget }
  // --- more input needed: the runtime fetches it and calls decide() again this cycle ---
  | { readonly type: 'fetch-peer-status'; readonly members: readonly string[] }
  | { readonly type: 'failsafe-check'; readonly members: Readonly<Record<string, string>> }
  /**
   * The leader's timeline history, asked over a replication connection
   * (IDENTIFY_SYSTEM, TIMELINE_HISTORY) when `/history` cannot tell whether
   * our timeline is one of the leader's ancestors. `forTimeline`: the
   * leader's timeline as published, echoed in the answer.
   */
  | { readonly type: 'fetch-leader-history'; readonly source: FollowTarget; readonly forTimeline: number }
  // --- PostgreSQL ---
  | { readonly type: 'bootstrap' }
  | { readonly type: 'create-replica'; readonly source?: FollowTarget }
  | { readonly type: 'start'; readonly asPrimary: boolean; readonly follow?: FollowTarget; readonly timeoutSeconds?: number }
  | { readonly type: 'stop'; readonly mode: StopMode; readonly timeoutSeconds?: number }
  | { readonly type: 'restart'; readonly timeoutSeconds?: number }
  | { readonly type: 'reload' }
  /**
   * `skipTimelinesThrough`: the highest timeline the cluster is known to have
   * used (/history, the members' keys) when it is above ours. PostgreSQL names
   * the new timeline after the newest history file it has, so a member that
   * never heard of another's promotion would reuse its number: two different
   * histories under one timeline, which pg_rewind cannot tell apart ("no rewind
   * required") and streaming stops on. The adapter makes PostgreSQL skip them.
   */
  | { readonly type: 'promote'; readonly skipTimelinesThrough?: number }
  | {
      readonly type: 'demote';
      readonly mode: DemoteMode;
      readonly follow?: FollowTarget;
      /**
       * `graceful` only: the switchover candidate the leader key goes to in the
       * release's own write, on the candidate's lease (see Dcs.releaseLeader),
       * instead of being deleted for a race; a store that cannot, or a
       * candidate whose member key changed since it was read, gets the plain
       * release.
       */
      readonly handOverTo?: string;
    }
  /** Point recovery at another node (reload or restart as PostgreSQL requires). */
  | { readonly type: 'follow'; readonly target?: FollowTarget }
  | { readonly type: 'rewind'; readonly source: FollowTarget }
  /** `force`: cancel whatever runs in the background first (Patroni's `POST /reinitialize {"force": true}`). */
  | { readonly type: 'reinitialize'; readonly source?: FollowTarget; readonly force?: boolean }
  | { readonly type: 'crash-recovery' }
  | { readonly type: 'checkpoint' }
  | { readonly type: 'set-synchronous-standby-names'; readonly value: string }
  /** Failed bootstrap: rename the data directory to `<data_dir>.failed`. */
  | { readonly type: 'remove-data-directory'; readonly rename: boolean }
  // --- the watchdog and the process ---
  | { readonly type: 'watchdog'; readonly op: 'activate' | 'keepalive' | 'disable' }
  | { readonly type: 'exit'; readonly code: number; readonly reason: string };

export type ActionType = Action['type'];
