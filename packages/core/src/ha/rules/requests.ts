/**
 * Operator requests from the REST API (spec/ha-loop.md §12): restart and
 * reinitialize take the cycle (they start a background action); allowed in
 * pause because they are explicit.
 */
import { isPrimaryRole } from '../../model/cluster-helpers.js';
import type { Context, Decision } from '../context.js';
import { decision, isRunningPrimary, nodeToFollow, ownsLock } from '../context.js';

function myRole(ctx: Context): string {
  return isRunningPrimary(ctx) ? 'primary' : 'replica';
}

export function handleRequests(ctx: Context): Decision | undefined {
  const { restart, reinitialize } = ctx.input.requests;
  if (restart !== undefined) {
    const roleMismatch = restart.role !== undefined && !(restart.role === myRole(ctx) || (isPrimaryRole(restart.role) && myRole(ctx) === 'primary'));
    const pendingMismatch = restart.restartPending === true && Object.keys(ctx.input.local.pendingRestart).length === 0;
    if (roleMismatch || pendingMismatch) {
      return decision(ctx, { ruleId: 'request.restart.conditions', message: 'restart conditions are not satisfied' });
    }
    const timeout = restart.timeoutSeconds ?? ctx.input.settings.primaryStartTimeoutSeconds;
    return decision(ctx, { ruleId: 'request.restart', message: 'restart initiated', actions: [{ type: 'restart', timeoutSeconds: timeout }], memory: { recovering: true } });
  }
  if (reinitialize !== undefined) {
    const leader = ctx.cluster.leader?.name;
    if (leader === undefined || leader === '') return decision(ctx, { ruleId: 'request.reinitialize.no-leader', message: 'Cluster has no leader, can not reinitialize' });
    if (ownsLock(ctx)) return decision(ctx, { ruleId: 'request.reinitialize.leader', message: 'I am the leader, can not reinitialize' });
    const source = nodeToFollow(ctx);
    return decision(ctx, {
      ruleId: 'request.reinitialize',
      message: 'reinitialize started',
      actions: [{ type: 'reinitialize', ...(source === undefined ? {} : { source }) }],
      memory: { rewind: 'none', demotedFromPrimary: false },
    });
  }
  return undefined;
}
