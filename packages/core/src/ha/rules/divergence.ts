/**
 * Whether our history diverged from the leader's (DESIGN invariant 6: a
 * former primary rejoins only after pg_rewind or re-initialisation). Judged
 * from timelines: the cluster timeline (from /history and the leader's
 * published timeline) against ours, and the LSN where our timeline was
 * forked off. A replica that never went past the fork point can simply
 * follow the new timeline.
 */
import type { Action, FollowTarget } from '../../model/actions.js';
import type { HistoryLine } from '../../model/cluster.js';
import { clusterTimeline, isSkippedTimelineLine } from '../../model/cluster-helpers.js';
import type { Context, Decision } from '../context.js';
import { decision, leaderMember, myWalPosition, targetOf } from '../context.js';
import { formatLsn } from '../lag.js';
import type { HaMemory } from '../memory.js';

export function leaderTimeline(ctx: Context): number {
  const published = leaderMember(ctx)?.data.timeline ?? 0;
  return Math.max(clusterTimeline(ctx.cluster), published);
}

/** We ran as a primary on our timeline: our memory says so, or the data directory does. */
function wasPrimary(ctx: Context): boolean {
  return ctx.memory.demotedFromPrimary || wasPrimaryByDataDirectory(ctx) || rememberedPrimaryOn(ctx, ctx.input.local.timeline);
}

/** The data directory said so before we started it as a standby (HaMemory.primaryOnTimeline). */
function rememberedPrimaryOn(ctx: Context, timeline: number | undefined): boolean {
  return timeline !== undefined && ctx.memory.primaryOnTimeline === timeline;
}

export function wasPrimaryByDataDirectory(ctx: Context): boolean {
  const local = ctx.input.local;
  return !local.hasRecoveryConfig && local.controlState !== undefined && local.controlState !== 'in archive recovery' && local.controlState !== 'shut down in recovery';
}

function leaderRunsAsPrimary(ctx: Context): boolean {
  const role = leaderMember(ctx)?.data.role;
  return role === 'primary' || role === 'master';
}

/**
 * We ran as a primary on `timeline` itself. A member demoted long ago (on an older
 * timeline) that followed the switches since is just a replica here: its received
 * position past the leader's published one (published up to a loop ago, or the
 * leader's shutdown checkpoint during a switchover) is no divergence.
 */
function wasPrimaryOn(ctx: Context, timeline: number): boolean {
  const known = ctx.memory.demotedFromTimeline;
  if (ctx.memory.demotedFromPrimary && known !== undefined && known !== timeline) return wasPrimaryByDataDirectory(ctx) || rememberedPrimaryOn(ctx, timeline);
  return wasPrimary(ctx);
}

/** Our history left the leader's (`message` says where), or the leader must first be asked for its history. */
export type Divergence = { readonly kind: 'diverged'; readonly message: string } | { readonly kind: 'ask'; readonly action: Action };

const diverged = (message: string): Divergence => ({ kind: 'diverged', message });

/** Where we are on our timeline: a stopped data directory counts its last checkpoint. */
function localPosition(ctx: Context): number {
  return ctx.input.local.running ? myWalPosition(ctx) : Math.max(ctx.input.local.checkpointLsn ?? 0, myWalPosition(ctx));
}

function pastFork(ctx: Context, theirs: number, switchpoint: number, from: string): Divergence | undefined {
  const mine = ctx.input.local.timeline ?? 0;
  const position = localPosition(ctx);
  if (position <= switchpoint) return undefined;
  return diverged(`local timeline ${mine} at ${formatLsn(position)} went past its fork point ${formatLsn(switchpoint)} in ${from} (leader timeline ${theirs})`);
}

type LeaderAnswer = NonNullable<HaMemory['leaderHistory']>;

/**
 * The leader's answer about its history for its published timeline `theirs`
 * (`valid`: still usable for this question), or the question to ask: none
 * while a failed ask is younger than a ttl, or when the leader has no
 * address.
 */
function leaderAnswer(ctx: Context, theirs: number, valid: (known: LeaderAnswer) => boolean): { readonly known: LeaderAnswer } | Divergence | undefined {
  const name = ctx.cluster.leader?.name;
  const source = targetOf(leaderMember(ctx));
  if (name === undefined || source?.connUrl === undefined) return undefined;
  const known = ctx.memory.leaderHistory;
  if (known !== undefined && known.leader === name && known.forTimeline === theirs) {
    if (known.lines === undefined) {
      if (ctx.input.nowMs < (known.failedAtMs ?? 0) + ctx.input.settings.ttlSeconds * 1000) return undefined;
    } else if (valid(known)) {
      return { known };
    }
  }
  return { kind: 'ask', action: { type: 'fetch-leader-history', source, forTimeline: theirs } };
}

/**
 * `/history` has no line for our timeline and nothing says we were primary
 * on it: `/history` may lag the leader's promotion, or our timeline may be a
 * branch the leader never had (a replica that followed a primary whose
 * promotion never reached `/history`) — PostgreSQL then refuses to follow
 * and the member serves its branch forever. Only the leader's own history
 * tells these apart (Patroni asks for it the same way); asked once per
 * leader and published timeline, again a ttl after a failed ask (the member
 * follows meanwhile, as before it asked).
 */
function byLeaderHistory(ctx: Context, theirs: number, at: string): Divergence | undefined {
  const answer = leaderAnswer(ctx, theirs, () => true);
  if (answer === undefined || !('known' in answer)) return answer;
  const mine = ctx.input.local.timeline ?? 0;
  const line = answer.known.lines?.find((entry) => entry[0] === mine);
  if (line === undefined) return diverged(`${at}: timeline ${mine} is not in the leader's history`);
  return pastFork(ctx, theirs, line[1], "the leader's history");
}

/**
 * Our timeline is above the one the leader publishes, and we were never
 * primary on it. Either the leader's key has not caught up with its
 * promotion yet (we followed the switch), or we followed a primary whose
 * promotion nobody else saw, to a number above the one the leader took
 * later (the simulator: node1 restarted on 66, which a silent member had
 * made, while node4 promoted to 65). PostgreSQL cannot follow a leader
 * whose history lacks our timeline, and the member serves its own branch.
 * The timeline the leader runs on tells the two apart. It is asked as the
 * history is (once per leader and published timeline), and asked again
 * when our own timeline has changed since.
 */
function aheadOfLeader(ctx: Context, theirs: number, at: string): Divergence | undefined {
  const mine = ctx.input.local.timeline ?? 0;
  const answer = leaderAnswer(ctx, theirs, (known) => known.timeline !== undefined && known.localTimeline === mine);
  if (answer === undefined || !('known' in answer)) return answer;
  const actual = answer.known.timeline ?? 0;
  return actual < mine ? diverged(`${at}: the leader runs on timeline ${actual}, and ours is not in its history`) : undefined;
}

/** Where a timeline began by the last line of its history: the parent and the switchpoint (a line marked skipped gives the switchpoint of the one before). */
function forkOf(lines: readonly HistoryLine[]): { readonly parent: number; readonly at: number } | undefined {
  const last = lines[lines.length - 1];
  if (last === undefined) return undefined;
  if (!isSkippedTimelineLine(last)) return { parent: last[0], at: last[1] };
  const before = lines[lines.length - 2];
  return before === undefined ? undefined : { parent: before[0], at: last[1] };
}

/**
 * Where the cluster's `timeline` began by `/history`: for the cluster's
 * current timeline the last line, for an older one the line before its own.
 */
function clusterForkOf(lines: readonly HistoryLine[], current: number, timeline: number): { readonly parent: number; readonly at: number } | undefined {
  if (timeline === current) return forkOf(lines);
  const index = lines.findIndex((line) => line[0] === timeline && !isSkippedTimelineLine(line));
  return index < 1 ? undefined : forkOf(lines.slice(0, index));
}

/**
 * Two promotions to one timeline number (the second never heard of the first,
 * see `timelineInUse`) leave two histories under it, which positions alone
 * cannot tell apart: a member of the other one (its former primary restarted,
 * or a replica of it) was taken for a member of the leader's history — on the
 * leader's timeline when behind its published position, on an older one when
 * behind that timeline's switchpoint. Our own history file says where our
 * timeline began; `/history` says where the cluster's timeline of that
 * number did (for the leader's own, once the leader wrote `/history` for it).
 * Different forks: different histories.
 */
function forkedElsewhere(ctx: Context, timeline: number): string | undefined {
  const own = ctx.input.local.timelineHistory;
  const lines = ctx.cluster.history?.lines;
  if (own === undefined || lines === undefined) return undefined;
  const ours = forkOf(own);
  const current = clusterTimeline(ctx.cluster);
  const clusters = timeline > current ? undefined : clusterForkOf(lines, current, timeline);
  if (ours === undefined || clusters === undefined || (ours.parent === clusters.parent && ours.at === clusters.at)) return undefined;
  const where = timeline === current ? 'on the leader' : 'in /history';
  return `timeline ${timeline} began here from ${ours.parent} at ${formatLsn(ours.at)}, ${where} from ${clusters.parent} at ${formatLsn(clusters.at)}`;
}

export function divergence(ctx: Context): Divergence | undefined {
  const local = ctx.input.local;
  const mine = local.timeline;
  const theirs = leaderTimeline(ctx);
  if (mine === undefined || theirs === 0 || ctx.input.settings.standbyCluster !== undefined) return undefined;
  // Judged only once the leader runs as a primary, as Patroni does: a leader still
  // promoting (its member key says replica or promoted) has not published its new
  // timeline, nor written /history, and a cleanly demoted primary compared with
  // that old picture looks ahead of it and would be rewound for nothing.
  if (!leaderRunsAsPrimary(ctx)) return undefined;
  // A successful rewind is not repeated until something changes (new leader, demotion).
  if (ctx.memory.rewind === 'done') return undefined;
  const at = `local timeline ${mine} at ${formatLsn(myWalPosition(ctx))}, leader timeline ${theirs}`;
  // Ahead of the leader's published timeline: diverged if we were primary on it; a replica
  // that followed the switch sees the leader's publication lagging, which the leader's
  // own timeline tells apart from a branch the leader never had.
  if (mine > theirs) return wasPrimary(ctx) ? diverged(`${at}: we were primary on a timeline the leader never had`) : aheadOfLeader(ctx, theirs, at);
  const elsewhere = forkedElsewhere(ctx, mine);
  if (elsewhere !== undefined) return diverged(`${at}: ${elsewhere}`);
  if (mine === theirs) {
    // Two promotions from one base can both create timeline N: a member that
    // was primary on "our" timeline and is ahead of the leader has diverged.
    const leaderPosition = Math.max(leaderMember(ctx)?.data.xlog_location ?? 0, ctx.cluster.lastLsn);
    const ahead = wasPrimaryOn(ctx, mine) && leaderPosition > 0 && myWalPosition(ctx) > leaderPosition;
    return ahead ? diverged(`${at} at ${formatLsn(leaderPosition)}: we were primary and are ahead of the leader on the same timeline`) : undefined;
  }
  // A line for skipped timeline numbers is no fork point: those timelines are not the leader's ancestors.
  const fork = ctx.cluster.history?.lines.find((line) => line[0] === mine && !isSkippedTimelineLine(line));
  if (fork !== undefined) return pastFork(ctx, theirs, fork[1], '/history');
  if (wasPrimary(ctx)) return diverged(`${at}: /history has no fork point for timeline ${mine} and we were primary on it`);
  return byLeaderHistory(ctx, theirs, at);
}

/** The question of `divergence()`: the runtime fetches the leader's history and decides again this cycle. */
export function askLeaderHistory(ctx: Context, rule: 'follow' | 'recover', action: Action): Decision {
  return decision(ctx, { ruleId: `${rule}.ask-leader-history`, message: 'asking the leader for its timeline history', actions: [action], awaiting: 'leader-history' });
}

export type Repair = { readonly kind: 'rewind' | 'reinitialize' | 'stuck'; readonly message: string; readonly source: FollowTarget };

/**
 * Diverged on the leader's own timeline number: two primaries promoted to the
 * same timeline (one that never heard of the other's promotion; see the
 * `promote` action). pg_rewind tells histories apart by their timelines, finds
 * these equal and reports "no rewind required": only a new clone repairs it.
 */
function timelineShared(ctx: Context): boolean {
  const mine = ctx.input.local.timeline;
  return mine !== undefined && mine === leaderTimeline(ctx);
}

/** §6.2: rewind when pg_rewind is usable (and can tell the histories apart), else re-clone when allowed, else say so. */
export function chooseRepair(ctx: Context, source: FollowTarget): Repair {
  const { settings, local } = ctx.input;
  const failedRewind = ctx.memory.rewind === 'failed';
  const shared = timelineShared(ctx);
  if (settings.usePgRewind && local.rewindable === true && !failedRewind && !shared) {
    return { kind: 'rewind', message: `running pg_rewind from ${source.name ?? 'leader'}`, source };
  }
  const allowed = failedRewind ? settings.removeDataDirectoryOnRewindFailure || settings.removeDataDirectoryOnDivergedTimelines : settings.removeDataDirectoryOnDivergedTimelines;
  // Not for a shared timeline: a Patroni leader publishes its new role before its new timeline,
  // and a judgement that can be wrong for a cycle must not wipe a data directory.
  if (allowed && !shared) return { kind: 'reinitialize', message: 'reinitializing due to diverged timelines', source };
  const why = shared
    ? `timeline ${local.timeline ?? '?'} was used by two primaries and pg_rewind cannot tell them apart; not following a diverged timeline (reinitialize this member)`
    : failedRewind
      ? 'pg_rewind failed; not following a diverged timeline'
      : 'timelines diverged and pg_rewind is not possible; not following a diverged timeline';
  return { kind: 'stuck', message: why, source };
}
