/**
 * We hold the leader key (spec/ha-loop.md §9.1). Every decision of the owner
 * starts with `update-lock`; the runtime stops at the first failed action, so
 * nothing after it (promote, sync changes) runs without a renewed lock. A
 * failed renewal is seen by the next cycle: the snapshot no longer shows us
 * as owner (follow → demote) or the DCS is unreachable (§10, lock validity).
 */
import type { Action } from '../../model/actions.js';
import type { Context, Decision } from '../context.js';
import { decision, excludedBySync, isNoFailover, isRunningPrimary, myWalPosition } from '../context.js';
import { exceedsMaximumLag, formatBytes, lagBytes } from '../lag.js';
import { handleRequests } from './requests.js';
import { enforcePrimaryRole } from './enforce-primary.js';
import { follow } from './follow.js';
import { manualFailoverFromLeader } from './manual-failover.js';
import { leaderUpkeep, publishedSlotPositions, retainedMemberSlots } from './leader-upkeep.js';

export function updateLockAction(ctx: Context): Action {
  const { settings } = ctx.input;
  const failsafe = settings.failsafeMode
    ? Object.fromEntries([
        ...ctx.cluster.members.filter((member) => member.data.api_url !== undefined).map((member) => [member.name, member.data.api_url ?? ''] as const),
        [ctx.name, ctx.input.self.apiUrl] as const,
      ])
    : undefined;
  const slots = publishedSlotPositions(ctx);
  const retained = retainedMemberSlots(ctx);
  return {
    type: 'update-lock',
    lastLsn: myWalPosition(ctx),
    ...(slots === undefined ? {} : { slots }),
    ...(retained === undefined ? {} : { retainSlots: retained.names }),
    ...(failsafe === undefined ? {} : { failsafe }),
  };
}

function withoutStatus(action: Action): Action {
  if (action.type !== 'update-lock') return action;
  const { lastLsn: _lastLsn, slots: _slots, retainSlots: _retain, ...plain } = action;
  return plain;
}

/**
 * The lock update goes first: when it fails the runtime skips the rest (no action without the lock).
 * `status: false` renews the key (and the failsafe list) without writing `/status`, as Patroni's
 * plain `update_lock()` during a long action: every `/status` write wakes the replicas for a cycle
 * (spec/dcs.md §3.5), which in the middle of a demotion only competes with the shutdown for CPU,
 * and the demotion's release writes the final position anyway.
 */
export function withLockUpdate(ctx: Context, result: Decision, options: { readonly status?: boolean } = {}): Decision {
  if (result.awaiting !== undefined) return result;
  const update = options.status === false ? withoutStatus(updateLockAction(ctx)) : updateLockAction(ctx);
  // Whom to ask when the DCS goes away: everyone the DCS may list, old value or the one we write now.
  const written = update.type === 'update-lock' ? update.failsafe : undefined;
  const retained = retainedMemberSlots(ctx);
  const withFailsafe = written === undefined ? result.memory : { ...result.memory, lastFailsafe: { ...ctx.cluster.failsafe, ...written } };
  const memory = retained === undefined ? withFailsafe : { ...withFailsafe, memberSlotsSeenAtMs: retained.seenAtMs };
  return { ...result, actions: [update, ...result.actions], memory };
}

function housekeeping(ctx: Context): Action[] {
  const actions: Action[] = [];
  // Armed after every renewal (`activate` is a no-op on an armed watchdog), also while paused: a departure
  // from Patroni, which disarms it in pause (§4 step 2) — the simulator then finds two primaries after a
  // resume when a paused primary's agent froze unguarded. A graceful agent stop still disarms it (README).
  if (ctx.input.settings.watchdogMode !== 'off' && isRunningPrimary(ctx)) actions.push({ type: 'watchdog', op: 'activate' }, { type: 'watchdog', op: 'keepalive' });
  const sysid = ctx.input.local.systemIdentifier;
  const initialize = ctx.cluster.initialize;
  if (sysid !== undefined && /^\d{10,}$/.test(sysid) && !(initialize !== undefined && /^\d{10,}$/.test(initialize))) {
    actions.push({ type: 'write-initialize', createNew: initialize === undefined, sysid });
  }
  return actions;
}

export function decideOwnLock(ctx: Context): Decision {
  if (ctx.paused && !isRunningPrimary(ctx)) {
    if (ctx.cluster.failover?.candidate === ctx.name) {
      return decision(ctx, { ruleId: 'leader.paused.awaiting-promote', message: 'waiting to become primary after promote...' });
    }
    if (ctx.input.settings.standbyCluster === undefined) {
      return decision(ctx, {
        ruleId: 'leader.paused.release',
        message: 'removed leader lock because postgres is not running as primary',
        actions: [{ type: 'release-lock' }],
        memory: { isLeader: false },
      });
    }
  }
  // A renewal without `/status`: our replica position there would be one more DCS write before the promotion.
  const handed = handedOver(ctx, housekeeping(ctx));
  if (handed !== undefined) return withLockUpdate(ctx, handed, { status: false });
  return withLockUpdate(ctx, withLeaderUpkeep(ctx, decideWithRenewedLock(ctx)));
}

const GIVING_UP: ReadonlySet<Action['type']> = new Set(['demote', 'release-lock', 'stop', 'exit']);

/** `/config` and the slots after the decision's own actions, unless it gives the leadership up. */
function withLeaderUpkeep(ctx: Context, result: Decision): Decision {
  if (result.awaiting !== undefined || result.actions.some((action) => GIVING_UP.has(action.type))) return result;
  const upkeep = leaderUpkeep(ctx);
  return upkeep.length === 0 ? result : { ...result, actions: [...result.actions, ...upkeep] };
}

/**
 * A lock holder that is not primary yet promotes only as the race would let
 * it: in synchronous mode, named in `/sync` (its leader or a standby), unless
 * an explicit manual failover (no leader named) picked it. The race judged
 * that on the snapshot it read; an agent frozen after that read (SIGSTOP, a
 * stalled host) takes the key on a picture that is gone, and its `/sync`
 * write then fails on the changed version. Promoting on the next cycle
 * because it holds the key would make a member that may lack acknowledged
 * commits the primary (the simulator: quorum mode, 5 members, fast profile,
 * seed 69). It gives the key back instead, for a member `/sync` names.
 */
function notSynchronous(ctx: Context): Decision | undefined {
  if (isRunningPrimary(ctx) || !excludedBySync(ctx, ctx.name)) return undefined;
  const failover = ctx.cluster.failover;
  if (failover !== undefined && !failover.leader && failover.candidate === ctx.name) return undefined;
  return decision(ctx, {
    ruleId: 'leader.not-synchronous.release',
    message: 'removed leader lock: not a synchronous standby in /sync, promoting could lose acknowledged commits',
    actions: [{ type: 'release-lock' }],
    memory: { isLeader: false },
    reason: `/sync names ${ctx.cluster.sync?.leader ?? ''}${(ctx.cluster.sync?.syncStandbys ?? []).map((name) => `, ${name}`).join('')}`,
  });
}

/** Why a candidate handed the key may not promote (the race's own checks on itself), or undefined. */
function handOverUnfit(ctx: Context): string | undefined {
  const { settings } = ctx.input;
  if (isNoFailover(ctx)) return 'tagged nofailover';
  if (excludedBySync(ctx, ctx.name)) return 'not a synchronous standby in /sync';
  const limit = settings.synchronousMode === 'quorum' ? 0 : settings.maximumLagOnFailoverBytes;
  const position = myWalPosition(ctx);
  if (!exceedsMaximumLag(ctx.cluster.lastLsn, position, limit)) return undefined;
  const allowed = limit === 0 ? 'quorum mode allows' : 'maximum_lag_on_failover';
  return `${formatBytes(lagBytes(ctx.cluster.lastLsn, position))} behind the former leader's last position, more than ${allowed}`;
}

/**
 * The former leader of a switchover handed us the key in its release
 * (manual-failover.ts): we hold it without a race. We promote only as the
 * race would have let us (§8.3, the candidate's own checks): not tagged
 * nofailover, named in `/sync` in synchronous mode, and no further behind
 * the `/status` that the same write published than maximum_lag_on_failover
 * allows (in quorum mode not at all: the proof it needs without the peers).
 * Otherwise the key goes back for a race. The request is cleared once the
 * promotion has started, as a race winner clears it: clearing it first puts
 * a DCS write between the former leader's stop and our promotion.
 */
function handedOver(ctx: Context, leading: readonly Action[]): Decision | undefined {
  const failover = ctx.cluster.failover;
  if (failover === undefined || !failover.leader || failover.leader === ctx.name || failover.candidate !== ctx.name) return undefined;
  if (isRunningPrimary(ctx) || ctx.paused || ctx.input.settings.standbyCluster !== undefined) return undefined;
  const unfit = handOverUnfit(ctx);
  if (unfit !== undefined) {
    return decision(ctx, {
      ruleId: 'switchover.handed-over.release',
      message: `removed leader lock: ${failover.leader} handed it over for a switchover, but promoting would lose data or break a rule`,
      actions: [{ type: 'release-lock' }],
      memory: { isLeader: false },
      reason: unfit,
    });
  }
  return enforcePrimaryRole(
    ctx,
    {
      ruleId: 'switchover.handed-over',
      alreadyPrimary: `no action. I am (${ctx.name}), the leader with the lock`,
      promoted: `promoted self to leader: ${failover.leader} handed over the lock for the switchover`,
    },
    leading,
    [{ type: 'clear-failover', version: failover.version }],
  );
}

/** What the owner does once its renewal succeeds (it runs after `update-lock`). */
function decideWithRenewedLock(ctx: Context): Decision {
  const leading = housekeeping(ctx);
  const manual = manualFailoverFromLeader(ctx);
  if (manual.kind === 'decided') return manual.decision;
  const request = handleRequests(ctx);
  if (request !== undefined) return request;
  const standby = ctx.input.settings.standbyCluster !== undefined;
  if (standby) {
    return follow(ctx, {
      ruleId: 'leader.standby-leader',
      demote: 'cannot be a real primary in standby cluster',
      follow: `no action. I am (${ctx.name}), the standby leader with the lock`,
    });
  }
  const notSync = notSynchronous(ctx);
  if (notSync !== undefined) return notSync;
  const result = enforcePrimaryRole(
    ctx,
    {
      ruleId: 'leader.keep-lock',
      alreadyPrimary: standby ? `no action. I am (${ctx.name}), the standby leader with the lock` : `no action. I am (${ctx.name}), the leader with the lock`,
      promoted: standby ? 'promoted self to a standby leader because i had the session lock' : 'promoted self to leader because I had the session lock',
    },
    [...leading, ...manual.actions],
  );
  const memory = manual.memory === undefined ? result.memory : { ...result.memory, ...manual.memory };
  const wakeUpAtMs = manual.wakeUpAtMs === undefined ? result.wakeUpAtMs : Math.min(manual.wakeUpAtMs, result.wakeUpAtMs ?? Infinity);
  return {
    ...result,
    memory,
    ...(manual.reason === undefined ? {} : { reason: manual.reason }),
    ...(wakeUpAtMs === undefined ? {} : { wakeUpAtMs }),
  };
}
