/**
 * Enforce the primary role for the lock holder (spec/ha-loop.md §9.3): keep
 * a running primary's sync key and history up to date, or promote a
 * replica. Only reached after the lock was won or renewed in this cycle
 * (DESIGN invariant 2).
 */
import type { Action } from '../../model/actions.js';
import type { HistoryLine } from '../../model/cluster.js';
import { clusterTimeline, SKIPPED_TIMELINE_REASON } from '../../model/cluster-helpers.js';
import type { Context, Decision } from '../context.js';
import { decision, isRunningPrimary, syncModeActive } from '../context.js';
import { syncReplicationActions } from './sync-replication.js';

export interface PrimaryMessages {
  readonly ruleId: string;
  readonly alreadyPrimary: string;
  readonly promoted: string;
}

/**
 * §9.7: `/history` as the leader's history file says, Patroni's way — the
 * last N lines with max_timelines_history, the timestamp and new leader of a
 * line kept from `/history` where the fork matches (the adapter stamps the
 * line of our own promotion) — written when it differs from what is stored.
 * Comparing the whole value also covers a promotion that skipped timelines
 * (see timelineInUse), after which the last line is not for timeline − 1.
 */
export function historyActions(ctx: Context): Action[] {
  const local = ctx.input.local;
  const timeline = local.timeline;
  const stored = ctx.cluster.history?.lines;
  if (timeline === undefined) return [];
  if (timeline === 1) return stored !== undefined && stored.length > 0 ? [{ type: 'write-history', lines: [] }] : [];
  if (local.timelineHistory === undefined) return [];
  const own = withSkippedTimelines(local.timelineHistory, timeline);
  const limit = ctx.input.settings.maxTimelinesHistory ?? 0;
  const kept = limit > 0 ? own.slice(-limit) : own;
  const known = new Map((stored ?? []).map((line) => [line[0], line] as const));
  const lines = kept.map((line): HistoryLine => {
    const earlier = known.get(line[0]);
    if (line.length !== 3 || earlier === undefined || earlier.length < 4 || earlier[1] !== line[1]) return line;
    return [...line, ...earlier.slice(3, 5)] as HistoryLine;
  });
  return stored !== undefined && sameLines(lines, stored) ? [] : [{ type: 'write-history', lines }];
}

/**
 * A promotion that skipped timeline numbers (see timelineInUse) has a history
 * file whose last line is for an older timeline than ours − 1: `/history` from
 * it alone says the cluster is on that older + 1, which a later promotion would
 * take again once our member key is gone (the simulator saw it: a primary
 * promoted to 4 past 3, cut off before anyone streamed from it, and the next
 * leader promoted to 4 again). One more line, for ours − 1 at our fork point
 * and marked as skipped (isSkippedTimelineLine), says the cluster timeline.
 */
function withSkippedTimelines(lines: readonly HistoryLine[], timeline: number): readonly HistoryLine[] {
  const last = lines[lines.length - 1];
  if (last === undefined || last[0] >= timeline - 1) return lines;
  return [...lines, [timeline - 1, last[1], SKIPPED_TIMELINE_REASON]];
}

function sameLines(a: readonly HistoryLine[], b: readonly HistoryLine[]): boolean {
  return a.length === b.length && a.every((line, index) => {
    const other = b[index] as HistoryLine;
    return line.length === other.length && line.every((cell, cellIndex) => cell === other[cellIndex]);
  });
}

/**
 * The highest timeline the cluster is known to have used, when it is above
 * ours: the one /history's last promotion created, one a member publishes
 * (a primary that crashed right after its promotion, before anyone streamed
 * from it, is known by its key or its /history line only), or one a peer
 * answered with this cycle (its key may not say so yet: a primary whose
 * promotion ended while the DCS was out; or one that stopped since, which
 * answers with its data directory's timeline). One more when a member may
 * have promoted unseen and is silent now: the key's last holder we saw was
 * never seen running as a primary, or its key said it no longer did (or it was
 * not watched for longer than ttl before its key was gone: it may have been
 * demoted and promoted again), or the DCS came back to us with nobody holding
 * the key, after an outage or after more than ttl without a read (anyone may
 * have held it meanwhile, a member we knew before too; an agent that has seen
 * no leader since it started cannot name a silent one, and is unsure), or a member in the DCS that we asked gave no
 * timeline (it may have held the key while we were frozen or cut off,
 * promoted, and lost the key before we looked; its key names no timeline
 * while its PostgreSQL is stopped — the simulator: node2 promoted to 53 and
 * was reset, node4 never saw it lead, asked it in vain when it restarted,
 * and took 53 too). Such a holder, cut off from the DCS and then from us,
 * may have promoted to the next number without publishing it. Silent: its member key is gone (it shared the
 * expired key's lease; a release writes a fresh one, with its timeline), or
 * for the last holder says `promoted` (written mid-promotion, it outlived the
 * lock), and it did not answer with a timeline. A skipped number costs a placeholder
 * history file, a reused one two histories under one number. Undefined when
 * none is above ours.
 *
 * Unsure, every member takes a number of its own (`ownTimeline`): the silent
 * member may have been unsure too and skipped one itself, so "one more" from
 * both sides meets on the same number (the simulator: node3 skipped 43 for a
 * silent node2 and took 44; node1, which never saw node3 lead, skipped 43 for
 * it and took 44 as well).
 */
export function timelineInUse(ctx: Context): number | undefined {
  const published = ctx.cluster.members.map((member) => member.data.timeline ?? 0);
  const answered = (ctx.input.peers ?? []).map((peer) => peer.timeline ?? 0);
  const mine = ctx.input.local.timeline ?? 0;
  // Our own timeline counts too: before the cluster's first promotion /history is empty, and
  // with every member key expired nothing else names it (the simulator, 2 members, seed 12038:
  // node2 promoted to 2 unseen; node1, unsure, "skipped" from 0 and took 2 as well).
  const seen = Math.max(mine, clusterTimeline(ctx.cluster), ...published, ...answered);
  const judged = silentPromotionPossible(ctx) ? ownTimeline(ctx, seen + 2) - 1 : seen;
  // At least what our promotion under this key skipped when first decided (memory's promotionSkippedThrough).
  const known = Math.max(judged, ctx.memory.promotionSkippedThrough ?? 0);
  return known > mine ? known : undefined;
}

/**
 * The first timeline from `from` on that is this member's own: with the n
 * members it knows of in name order, the numbers equal to its rank modulo
 * n. Two members that promote unsure and know the same members never take
 * the same number, whatever each of them has seen; the cost is a jump of at
 * most n − 1 more, only when unsure. Known: every member this data
 * directory's agents have seen (memory's `knownMembers`, kept across agent
 * restarts), the members of our last snapshot with a leader and of this one,
 * the peers asked, and the new leaders `/history` names (its fifth column)
 * — an agent that has just started and finds only its own key knows the
 * others by those alone (the simulator, 2 members: with no other name, a
 * restarted member's "own" number was every number, and it took the one
 * its silent peer had).
 */
function ownTimeline(ctx: Context, from: number): number {
  const leaders = (ctx.cluster.history?.lines ?? []).map((line) => line[4]).filter((name): name is string => typeof name === 'string' && name !== '');
  const names = [ctx.name, ...(ctx.memory.knownMembers ?? []), ...ctx.memory.lastSeenMembers, ...ctx.cluster.members.map((member) => member.name), ...(ctx.input.peers ?? []).map((peer) => peer.name), ...leaders];
  const known = [...new Set(names)].sort();
  const slot = known.indexOf(ctx.name);
  return from + ((slot - (from % known.length) + known.length) % known.length);
}

function silentPromotionPossible(ctx: Context): boolean {
  const present = new Set(ctx.cluster.members.map((member) => member.name));
  const answered = new Set((ctx.input.peers ?? []).filter((peer) => peer.timeline !== undefined).map((peer) => peer.name));
  const silent = (name: string): boolean => name !== ctx.name && !present.has(name) && !answered.has(name);
  const { memory } = ctx;
  // An agent that never saw a snapshot with a leader (it has just started), or only with itself holding the key, cannot name who may have held it.
  // Whoever did may be a member its last snapshot did not list but that it knew before (the simulator, 5 members,
  // fast profile, seed 161111: node4's last snapshot listed node2 only; node5, back from a machine reset, held the
  // key while the DCS was out for node4, promoted to 260 and was cut off; node4 returned to no keys at all and took 260 too).
  const known = [...memory.lastSeenMembers, ...(memory.knownMembers ?? [])];
  if (memory.leaderlessSinceOutage === true && (memory.lastSeenMembers.every((name) => name === ctx.name) || known.some(silent))) return true;
  // The last holder, its timeline unknown. Its member key may outlive the lock (Redis expires each key on
  // its own): one written while it promoted names the timeline it promoted from, and speaks for nothing
  // (the simulator, fast profile, seed 141171: node4's key, written while it promoted to 129, outlived its
  // lock by a few milliseconds; node5 took 129 too, from the same switchpoint). One written as it released
  // the key names its last timeline.
  const holder = memory.lastSeenLeader;
  const promoting = ctx.cluster.members.some((member) => member.name === holder && member.data.role === 'promoted');
  if (holder !== undefined && holder !== ctx.name && memory.lastSeenLeaderTimeline === undefined && (silent(holder) || (promoting && !answered.has(holder)))) return true;
  const asked = new Set((ctx.input.peers ?? []).map((peer) => peer.name));
  return ctx.cluster.members.some((member) => member.name !== ctx.name && asked.has(member.name) && !answered.has(member.name) && member.data.timeline === undefined);
}

function watchdogActivate(ctx: Context): Action[] {
  return ctx.input.settings.watchdogMode === 'off' ? [] : [{ type: 'watchdog', op: 'activate' }];
}

/**
 * `leading` goes first (a renewal); `afterPromotion` goes after the promotion
 * when there is one (clearing the failover key: every request before the
 * promotion is time without a writable primary), and with `leading` otherwise.
 */
export function enforcePrimaryRole(ctx: Context, messages: PrimaryMessages, leading: readonly Action[] = [], afterPromotion: readonly Action[] = []): Decision {
  const { settings } = ctx.input;
  const last = ctx.input.lastActionResult;
  // §9.3: only the pre_promote script's refusal gives the lock up; a failed pg_promote is tried again.
  if (last?.type === 'promote' && !last.ok && last.cause === 'pre-promote-failed' && !isRunningPrimary(ctx)) {
    // The key goes before the switchover request is cleared: a reader that sees the request gone
    // (the API polling for its result) must not find us still holding the key as if we had won.
    const all: readonly Action[] = [...leading, ...afterPromotion];
    const isRequest = (action: Action): boolean => action.type === 'clear-failover' || action.type === 'write-failover';
    return decision(ctx, {
      ruleId: 'primary.pre-promote-failed',
      message: 'Promotion cancelled because the pre-promote script failed',
      actions: [...all.filter((action) => !isRequest(action)), { type: 'release-lock' }, ...all.filter(isRequest)],
      memory: { prePromoteFailedAtMs: ctx.input.nowMs, isLeader: false },
      reason: last.message,
    });
  }
  const failed = ctx.input.lastFailure?.action;
  if (!ctx.paused && settings.watchdogMode === 'required' && failed?.type === 'watchdog' && failed.op === 'activate') {
    // §9.3: a required watchdog that cannot be armed means we may not run as primary.
    if (isRunningPrimary(ctx)) {
      return decision(ctx, {
        ruleId: 'primary.watchdog-failed.demote',
        message: 'Demoting self because watchdog could not be activated',
        actions: [{ type: 'demote', mode: 'immediate' }],
        memory: { isLeader: false, demotedFromPrimary: true },
        reason: ctx.input.lastFailure?.message,
      });
    }
    return decision(ctx, {
      ruleId: 'primary.watchdog-failed.no-promote',
      message: 'Not promoting self because watchdog could not be activated',
      actions: [{ type: 'release-lock' }],
      memory: { isLeader: false },
      reason: ctx.input.lastFailure?.message,
    });
  }
  if (isRunningPrimary(ctx)) {
    const sync = syncReplicationActions(ctx);
    const actions = [...leading, ...afterPromotion, ...sync.actions, ...historyActions(ctx)];
    return decision(ctx, { ruleId: `${messages.ruleId}.primary`, message: messages.alreadyPrimary, actions, ...(sync.memory === undefined ? {} : { memory: sync.memory }) });
  }
  if (ctx.paused && ctx.cluster.failover?.candidate !== ctx.name) {
    return decision(ctx, { ruleId: `${messages.ruleId}.paused-no-promote`, message: messages.alreadyPrimary, actions: [...leading, ...afterPromotion], reason: 'paused: holding the lock without promoting' });
  }
  const actions: Action[] = [...leading];
  if (syncModeActive(ctx)) {
    const sync = ctx.cluster.sync;
    actions.push({ type: 'write-sync', leader: ctx.name, standbys: [], ...(sync === undefined ? {} : { version: sync.version }), ...(settings.synchronousMode === 'quorum' ? { quorum: 0 } : {}) });
    actions.push({ type: 'set-synchronous-standby-names', value: settings.synchronousModeStrict ? '*' : '' });
  }
  const skip = timelineInUse(ctx);
  actions.push(...watchdogActivate(ctx), skip === undefined ? { type: 'promote' } : { type: 'promote', skipTimelinesThrough: skip }, ...afterPromotion);
  return decision(ctx, {
    ruleId: `${messages.ruleId}.promote`,
    message: messages.promoted,
    actions,
    memory: {
      failsafeActive: false,
      rewind: 'check',
      demotedFromPrimary: false,
      primaryOnTimeline: undefined,
      divergedStuck: undefined,
      quorum: undefined,
      syncSetting: undefined,
      ...(skip === undefined ? {} : { promotionSkippedThrough: skip }),
    },
  });
}
