/**
 * A background action is running (spec/ha-loop.md §7.1). The lock holder
 * keeps renewing its lock; a running primary that lost it demotes even
 * now (the runtime preempts the action); otherwise report progress.
 */
import type { Context, Decision } from '../context.js';
import { decision, isRunningPrimary, ownsLock } from '../context.js';
import { updateLockAction, withLockUpdate } from './own-lock.js';
import { handleRequests } from './requests.js';

export function decideLongAction(ctx: Context): Decision {
  const running = ctx.input.running;
  const name = running?.name ?? 'action';
  if (ownsLock(ctx)) {
    const { settings, nowMs } = ctx.input;
      const started = running?.startedAtMs ?? nowMs;
      const tooLong = running?.type === 'crash-recovery' && settings.primaryStartTimeoutSeconds > 0 && nowMs - started > settings.primaryStartTimeoutSeconds * 1000;
      if (tooLong) {
        return decision(ctx, {
          ruleId: 'long-action.crash-recovery-timeout',
          message: 'terminated crash recovery because of startup timeout',
          actions: [updateLockAction(ctx), { type: 'demote', mode: 'immediate' }],
          memory: { isLeader: false, demotedFromPrimary: true },
        });
      }
      return withLockUpdate(ctx, decision(ctx, { ruleId: 'long-action.lock-updated', message: `updated leader lock during ${name}` }), { status: false });
  }
  if (!ctx.memory.bootstrapping && !ctx.paused && isRunningPrimary(ctx) && running?.type !== 'demote') {
    return decision(ctx, {
      ruleId: 'long-action.lost-lock-demote',
      message: `lost leader lock during ${name}`,
      reason: `Demoting primary during ${name}`,
      actions: [{ type: 'demote', mode: 'immediate-nolock' }],
      memory: { isLeader: false, demotedFromPrimary: true },
    });
  }
  // `POST /reinitialize {"force": true}` cancels what runs (a stuck clone, a long restart) and
  // re-clones, as Patroni's does; never a demotion, which must finish stopping writes first.
  if (ctx.input.requests.reinitialize?.force === true && running?.type !== 'demote') {
    const forced = handleRequests(ctx);
    if (forced !== undefined) return forced;
  }
  if (running?.type === 'promote' && !ownsLock(ctx) && !ctx.paused) {
    return decision(ctx, { ruleId: 'long-action.promote-without-lock', message: 'lost leader before promote', reason: 'promotion already started: the next cycle demotes' });
  }
  return decision(ctx, { ruleId: 'long-action.in-progress', message: `${name} in progress` });
}
