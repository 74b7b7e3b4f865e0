/**
 * The renewal of our lock failed in the last cycle while the DCS snapshot
 * (possibly a watch cache that has not noticed the broken link) still names
 * us (spec/ha-loop.md §9.1, §10; INCIDENTS #4 and #13). The snapshot cannot
 * outvote the DCS's answer to our own write:
 *
 * - `lost` — the DCS said the key is not ours: demote at once, without
 *   touching the key (Patroni's `immediate-nolock`);
 * - anything else counts as an unreachable DCS: keep running only while the
 *   lock we renewed last is valid by our own clock for longer than one more
 *   attempt, then run the failsafe check or demote `offline` — always before
 *   the key can expire at the DCS.
 */
import type { Context, Decision } from '../context.js';
import { decision, isRunningPrimary, ownsLock } from '../context.js';
import { decideDcsUnreachable } from './dcs-unreachable.js';

export function decideFailedRenewal(ctx: Context): Decision | undefined {
  const failure = ctx.input.lastFailure;
  if (failure?.action.type !== 'update-lock' || !ownsLock(ctx) || ctx.paused) return undefined;
  if (failure.kind === 'lost') {
    if (!isRunningPrimary(ctx)) return undefined;
    return decision(ctx, {
      ruleId: 'leader.renewal-refused.demote',
      message: 'demoting self because the leader lock could not be renewed',
      reason: failure.message,
      actions: [{ type: 'demote', mode: 'immediate-nolock' }],
      memory: { isLeader: false, demotedFromPrimary: true },
    });
  }
  return decideDcsUnreachable(ctx, `the leader lock could not be renewed: ${failure.message}`);
}
