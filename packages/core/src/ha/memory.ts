/**
 * What the agent carries from one cycle to the next (Patroni keeps these as
 * mutable flags and timers on its `Ha` object). decide() never mutates it: it
 * returns a new one, so a recorded (input, memory) pair replays exactly.
 */

import type { PendingGuarantee } from './quorum.js';

/** Rewind state machine (Patroni's `Rewind` states, simplified). */
export type RewindState = 'none' | 'check' | 'needed' | 'running' | 'done' | 'failed';

export interface HaMemory {
  /** We believe we hold the leader lock (Patroni's `is_leader` flag, before expiry). */
  readonly isLeader: boolean;
  /** We won the initialize race and run the bootstrap; until `initialized a new cluster`. */
  readonly bootstrapping: boolean;
  /** A start after restart/crash was issued; cleared on the next cycle. */
  readonly recovering: boolean;
  /** When single-user crash recovery started in this failure episode. */
  readonly crashRecoveryStartedAtMs?: number;
  readonly rewind: RewindState;
  /** We released the lock because pre_promote failed: back off for one ttl. */
  readonly prePromoteFailedAtMs?: number;
  /** Running as leader only because every member accepted the failsafe check. */
  readonly failsafeActive: boolean;
  /** Since when the DCS has been unreachable (first failing cycle). */
  readonly dcsUnreachableSinceMs?: number;
  /** The leader seen in the last snapshot that had one (Patroni's `old_cluster`). */
  readonly lastSeenLeader?: string;
  /**
   * The timeline that leader's member key said it ran on as a primary while
   * it held the key; undefined while it was never seen running as one (a
   * promotion in flight: it may have created a timeline nobody heard of), and
   * again once its key says it no longer runs as one (stopping, restarted as
   * a replica: under the key it still holds, its next promotion takes a new
   * number).
   */
  readonly lastSeenLeaderTimeline?: number;
  /**
   * When (monotonic) the last snapshot with a leader was read; cleared by the
   * first leaderless snapshot after it, which judges the gap between the two.
   * A gap longer than ttl (this agent frozen, or its reads failing, while
   * the key was held) means the holder's last lease terms went unseen: it may
   * have been demoted and promoted again in them, so the timeline it was
   * seen running on no longer tells its last one (the simulator, fast
   * profile, seed 201: node2, seen as primary on 38, lost the DCS, restarted
   * as a replica while its key lived on, promoted to 39 when the DCS came
   * back and was reset; node1, frozen through all of it, took 39 too).
   */
  readonly lastSeenLeaderAtMs?: number;
  /**
   * The DCS came back (to us) with nobody holding the key, after an outage
   * or after a gap longer than ttl since our last snapshot (this agent
   * frozen: see `lastReadAtMs`): someone may have held it meanwhile,
   * promoted, and lost it unseen. Cleared by a snapshot
   * with a leader. An agent starts with it set: it watched nothing before
   * it started (the simulator, seed 12012 of 2 members: node2 promoted to 24
   * while cut off from the DCS, its key expired; node1, restarted, found no
   * leader and took 24 as well).
   */
  readonly leaderlessSinceOutage?: boolean;
  /**
   * When (monotonic) the last snapshot was read. A key that someone acquired
   * after it and lost unseen lived at least ttl, so a leaderless snapshot
   * more than ttl later is as unsure as one after an outage, though no read
   * failed: the agent was frozen, or its cycles late (the simulator, seed
   * 121096: node2, frozen for 64 s after seeing node4 lead, woke to no key
   * and a switchover naming it; node5 had held the key meanwhile, promoted
   * to 21 and crashed, and node2 took 21 as well).
   */
  readonly lastReadAtMs?: number;
  /** Member names of that snapshot: still queried in a leader race. */
  readonly lastSeenMembers: readonly string[];
  /**
   * Every member name this agent has seen in a snapshot, the current ones
   * first (at most MAX_KNOWN_MEMBERS): the names an unsure promotion ranks
   * itself among (see enforce-primary's ownTimeline). It outlives the agent:
   * the agent keeps it beside the data directory and a new agent starts with it
   * (`initialMemory({ knownMembers })`), so a restarted member that finds only
   * its own key still knows the others (the simulator, 2 members, seeds 12037
   * and 12145: the one name it knew made each number its own, and it took the
   * one its silent peer had promoted to). The same array while nothing changed.
   */
  readonly knownMembers?: readonly string[];
  /**
   * The highest timeline a promotion we decided skipped (enforce-primary's
   * `timelineInUse`): a floor for the promotions we decide again under the
   * same key, moot once we run on a timeline above it; cleared by a snapshot
   * in which the key is not ours (a later race judges afresh). What made the
   * first decision skip may be gone from the next one's snapshot: a
   * promotion interrupted (a postmaster crash) is decided again under the key
   * we won, in a snapshot that no longer lists the silent member (the
   * simulator, 3 members, seed 81004: node2 skipped through 24 for a silent
   * node3 that had promoted to 23 unseen; the retry skipped nothing and took
   * 23 as well).
   */
  readonly promotionSkippedThrough?: number;
  /** Anti-flapping: the leader before a DCS outage has first claim until then. */
  readonly lastLeaderClaim?: { readonly name: string; readonly untilMs: number };
  /** We ran as a primary and were demoted: the next follow must check divergence. */
  readonly demotedFromPrimary: boolean;
  /** The timeline we ran as a primary on when demoted (undefined: not known). */
  readonly demotedFromTimeline?: number;
  /**
   * The data directory said we ran as a primary on this timeline (stopped or
   * crashed as one) when we started it as a standby, which erases that record:
   * the divergence check keeps knowing it (a crashed primary restarted as a
   * replica while nobody led, or after a failed pg_rewind).
   */
  readonly primaryOnTimeline?: number;
  /**
   * A `*.diverged-stuck` rule (or `follow.paused-diverged`: nothing repairs in
   * pause) found our history diverged with no repair: kept (and published as
   * the decision's `diverged`) through cycles that do not judge divergence —
   * DCS unreachable, PostgreSQL stopped in pause — until a rewind or re-clone
   * succeeds, we stream on the leader's timeline, or we promote.
   */
  readonly divergedStuck?: boolean;
  /**
   * The leader's timeline history as it last answered (`lines`, and the
   * timeline it runs on, `timeline`), or when asking failed (`failedAtMs`,
   * our clock): asked once per leader and published leader timeline, again
   * after a failure once a ttl has passed. `localTimeline` is ours when it
   * answered.
   */
  readonly leaderHistory?: {
    readonly leader: string;
    readonly forTimeline: number;
    readonly lines?: readonly (readonly [number, number])[];
    readonly timeline?: number;
    readonly localTimeline?: number;
    readonly failedAtMs?: number;
  };
  /** `/failsafe` of the last snapshot: whom to ask when the DCS is gone. */
  readonly lastFailsafe?: Readonly<Record<string, string>>;
  /** A switchover waiting for its candidate to stream from us: which request, since when (our clock). */
  readonly switchoverWait?: { readonly version: number; readonly sinceMs: number };
  /**
   * Leader: when each member's slot name was last seen in the member list
   * (our clock), for `member_slots_ttl`; seeded from `/status` retain_slots
   * when we take over.
   */
  readonly memberSlotsSeenAtMs?: Readonly<Record<string, number>>;
  /**
   * Leader in quorum mode: synchronous_standby_names as last seen in force,
   * and the guarantees of earlier values whose commits the current value does
   * not yet speak for (see ./quorum.ts). Dropped when we claim `/sync`.
   */
  readonly quorum?: { readonly setting: string; readonly pending: readonly PendingGuarantee[] };
  /**
   * Leader in priority synchronous mode: synchronous_standby_names as last
   * seen in force and our WAL position when it was first seen; a standby
   * enters `/sync` once its committed position reached it.
   */
  readonly syncSetting?: { readonly setting: string; readonly sinceLsn: number };
  /** Number of decide() cycles (rounds of one cycle count once). */
  readonly cycles: number;
}

/** How many names `knownMembers` keeps: the most recently seen. */
export const MAX_KNOWN_MEMBERS = 32;

/** A new agent's memory; `knownMembers`: the names an earlier agent on this data directory knew. */
export function initialMemory(options: { readonly knownMembers?: readonly string[] } = {}): HaMemory {
  const known = (options.knownMembers ?? []).filter((name) => typeof name === 'string' && name !== '').slice(0, MAX_KNOWN_MEMBERS);
  return {
    isLeader: false,
    bootstrapping: false,
    recovering: false,
    rewind: 'check',
    failsafeActive: false,
    lastSeenMembers: [],
    ...(known.length === 0 ? {} : { knownMembers: known }),
    leaderlessSinceOutage: true,
    demotedFromPrimary: false,
    cycles: 0,
  };
}
