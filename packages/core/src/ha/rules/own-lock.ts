/**
 * We hold the leader key (spec/ha-loop.md §9.1). First renew it (the runtime
 * answers with `lock`), then act on the answer: `held` → keep or take the
 * primary role; `lost` → the DCS said it is not ours: demote at once;
 * `unreachable` → §10, where the lock's validity by our own clock decides.
 */
import type { Action } from '../../model/actions.js';
import type { Context, Decision } from '../context.js';
import { decision, isRunningPrimary, myWalPosition } from '../context.js';
import { handleRequests } from './requests.js';
import { decideDcsUnreachable } from './dcs-unreachable.js';
import { enforcePrimaryRole } from './enforce-primary.js';
import { follow } from './follow.js';
import { manualFailoverFromLeader } from './manual-failover.js';

export function updateLockAction(ctx: Context): Action {
  const { settings } = ctx.input;
  const failsafe = settings.failsafeMode
    ? Object.fromEntries([
        ...ctx.cluster.members.filter((member) => member.data.api_url !== undefined).map((member) => [member.name, member.data.api_url ?? ''] as const),
        [ctx.name, ctx.input.self.apiUrl] as const,
      ])
    : undefined;
  return { type: 'update-lock', lastLsn: myWalPosition(ctx), ...(failsafe === undefined ? {} : { failsafe }) };
}

export function renewLock(ctx: Context, ruleId: string): Decision {
  return decision(ctx, { ruleId, message: 'updating the leader lock', actions: [updateLockAction(ctx)], awaiting: 'lock' });
}

function lockLost(ctx: Context): Decision {
  const memory = { isLeader: false };
  if (!isRunningPrimary(ctx)) {
    return decision(ctx, { ruleId: 'leader.update-failed.not-primary', message: 'not promoting because failed to update leader lock in DCS', memory });
  }
  if (ctx.paused) {
    return decision(ctx, { ruleId: 'leader.update-failed.paused', message: 'continue to run as primary after failing to update leader lock in DCS', memory });
  }
  return decision(ctx, {
    ruleId: 'leader.update-failed.demote',
    message: 'demoted self because failed to update leader lock in DCS',
    reason: 'the DCS answered that the leader key is not ours any more',
    actions: [{ type: 'demote', mode: 'immediate-nolock' }],
    memory: { ...memory, demotedFromPrimary: true },
  });
}

function housekeeping(ctx: Context): Action[] {
  const actions: Action[] = [];
  if (ctx.input.settings.watchdogMode !== 'off' && isRunningPrimary(ctx)) actions.push({ type: 'watchdog', op: 'keepalive' });
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
  const lock = ctx.input.lock;
  if (lock === undefined) return renewLock(ctx, 'leader.update-lock');
  if (lock.kind === 'lost') return lockLost(ctx);
  if (lock.kind === 'unreachable') return decideDcsUnreachable(ctx, `failed to update leader lock: ${lock.message}`);
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
  const result = enforcePrimaryRole(
    ctx,
    {
      ruleId: 'leader.keep-lock',
      alreadyPrimary: standby ? `no action. I am (${ctx.name}), the standby leader with the lock` : `no action. I am (${ctx.name}), the leader with the lock`,
      promoted: standby ? 'promoted self to a standby leader because i had the session lock' : 'promoted self to leader because I had the session lock',
    },
    [...leading, ...manual.actions],
  );
  return manual.reason === undefined ? result : { ...result, reason: manual.reason };
}
