/**
 * Whether our history diverged from the leader's (DESIGN invariant 6: a
 * former primary rejoins only after pg_rewind or re-initialisation). Judged
 * from timelines: the cluster timeline (from /history and the leader's
 * published timeline) against ours, and the LSN where our timeline was
 * forked off. A replica that never went past the fork point can simply
 * follow the new timeline.
 */
import type { FollowTarget } from '../../model/actions.js';
import { clusterTimeline } from '../../model/cluster-helpers.js';
import type { Context } from '../context.js';
import { leaderMember, myWalPosition } from '../context.js';

export function leaderTimeline(ctx: Context): number {
  const published = leaderMember(ctx)?.data.timeline ?? 0;
  return Math.max(clusterTimeline(ctx.cluster), published);
}

/** We ran as a primary on our timeline: our memory says so, or the data directory does. */
function wasPrimary(ctx: Context): boolean {
  const local = ctx.input.local;
  return ctx.memory.demotedFromPrimary || (!local.hasRecoveryConfig && local.controlState !== undefined && local.controlState !== 'in archive recovery' && local.controlState !== 'shut down in recovery');
}

function leaderRunsAsPrimary(ctx: Context): boolean {
  const role = leaderMember(ctx)?.data.role;
  return role === 'primary' || role === 'master';
}

export function hasDiverged(ctx: Context): boolean {
  const local = ctx.input.local;
  const mine = local.timeline;
  const theirs = leaderTimeline(ctx);
  if (mine === undefined || theirs === 0 || ctx.input.settings.standbyCluster !== undefined) return false;
  // Judged only once the leader runs as a primary, as Patroni does: a leader still
  // promoting (its member key says replica or promoted) has not published its new
  // timeline, nor written /history, and a cleanly demoted primary compared with
  // that old picture looks ahead of it and would be rewound for nothing.
  if (!leaderRunsAsPrimary(ctx)) return false;
  // A successful rewind is not repeated until something changes (new leader, demotion).
  if (ctx.memory.rewind === 'done') return false;
  // Ahead of the leader's published timeline: diverged only if we were primary on it; a
  // replica that followed the switch just sees the leader's publication lagging.
  if (mine > theirs) return wasPrimary(ctx);
  if (mine === theirs) {
    // Two promotions from one base can both create timeline N: a member that
    // was primary on "our" timeline and is ahead of the leader has diverged.
    const leaderPosition = Math.max(leaderMember(ctx)?.data.xlog_location ?? 0, ctx.cluster.lastLsn);
    return wasPrimary(ctx) && leaderPosition > 0 && myWalPosition(ctx) > leaderPosition;
  }
  const fork = ctx.cluster.history?.lines.find((line) => line[0] === mine);
  if (fork === undefined) return wasPrimary(ctx);
  const position = local.running ? myWalPosition(ctx) : Math.max(local.checkpointLsn ?? 0, myWalPosition(ctx));
  return position > fork[1];
}

export type Repair = { readonly kind: 'rewind' | 'reinitialize' | 'stuck'; readonly message: string; readonly source: FollowTarget };

/** §6.2: rewind when pg_rewind is usable, else re-clone when allowed, else say so. */
export function chooseRepair(ctx: Context, source: FollowTarget): Repair {
  const { settings, local } = ctx.input;
  const failedRewind = ctx.memory.rewind === 'failed';
  if (settings.usePgRewind && local.rewindable === true && !failedRewind) {
    return { kind: 'rewind', message: `running pg_rewind from ${source.name ?? 'leader'}`, source };
  }
  const allowed = failedRewind ? settings.removeDataDirectoryOnRewindFailure || settings.removeDataDirectoryOnDivergedTimelines : settings.removeDataDirectoryOnDivergedTimelines;
  if (allowed) return { kind: 'reinitialize', message: 'reinitializing due to diverged timelines', source };
  return {
    kind: 'stuck',
    message: failedRewind ? 'pg_rewind failed; not following a diverged timeline' : 'timelines diverged and pg_rewind is not possible; not following a diverged timeline',
    source,
  };
}
