/**
 * A switchover/failover request seen by the lock owner (spec/ha-loop.md
 * §9.2). Either it starts a graceful demotion (the winner of the following
 * race clears the key), or it explains why not and clears the request.
 */
import type { Action } from '../../model/actions.js';
import type { Context, Decision } from '../context.js';
import { decision, isRunningPrimary } from '../context.js';
import { failoverVerdicts } from '../takeover.js';

export type ManualOutcome =
  | { readonly kind: 'none'; readonly actions: readonly Action[]; readonly reason?: string }
  | { readonly kind: 'decided'; readonly decision: Decision };

const none = (actions: readonly Action[] = [], reason?: string): ManualOutcome => ({ kind: 'none', actions, ...(reason === undefined ? {} : { reason }) });

/** Patroni's scheduled window: due when -int(1.5*loop_wait) <= delta <= loop_wait. */
export function scheduleStatus(scheduledAt: string, nowMs: number, loopWaitSeconds: number): 'due' | 'later' | 'stale' | 'invalid' {
  const at = Date.parse(scheduledAt);
  if (Number.isNaN(at)) return 'invalid';
  const deltaSeconds = (at - nowMs) / 1000;
  if (deltaSeconds > loopWaitSeconds) return 'later';
  if (deltaSeconds < -Math.trunc(1.5 * loopWaitSeconds)) return 'stale';
  return 'due';
}

export function manualFailoverFromLeader(ctx: Context): ManualOutcome {
  const failover = ctx.cluster.failover;
  if (failover === undefined || (ctx.paused && !isRunningPrimary(ctx))) return none();
  const action = failover.leader ? 'switchover' : 'manual failover';
  const clear: Action = { type: 'clear-failover', version: failover.version };
  if (failover.scheduledAt !== undefined) {
    if (ctx.paused) return none();
    const status = scheduleStatus(failover.scheduledAt, ctx.input.wallNowMs ?? ctx.input.nowMs, ctx.input.settings.loopWaitSeconds);
    if (status === 'later') return none([], `Awaiting ${action} at ${failover.scheduledAt}`);
    if (status !== 'due') return none([clear], `scheduled ${action} is ${status}: cleared`);
  }
  if (failover.leader && failover.leader !== ctx.name) {
    return none([clear], `leader name does not match: ${failover.leader} != ${ctx.name}`);
  }
  if (failover.candidate === ctx.name) return none([clear], `I am already the leader, no need to ${action}`);
  if (!failover.candidate && ctx.paused) return none([clear], `${action} is possible only to a specific candidate in a paused state`);
  const competitors = ctx.cluster.members.filter((member) => member.name !== ctx.name).map((member) => member.name);
  if (ctx.input.peers === undefined && competitors.length > 0) {
    return {
      kind: 'decided',
      decision: decision(ctx, { ruleId: 'manual-failover.ask-peers', message: `checking candidates for ${action}`, actions: [{ type: 'fetch-peer-status', members: competitors }], awaiting: 'peers' }),
    };
  }
  const verdicts = failoverVerdicts(ctx, ctx.input.peers ?? [], { manualFailover: !failover.leader });
  if (!verdicts.some((verdict) => verdict.eligible)) {
    const why = verdicts.map((verdict) => `${verdict.name}: ${verdict.explanation}`).join('; ');
    return none([clear], `no healthy members found, ${action} is not possible${why ? ` (${why})` : ''}`);
  }
  return {
    kind: 'decided',
    decision: decision(ctx, {
      ruleId: `manual-failover.${failover.leader ? 'switchover' : 'failover'}-demote`,
      message: `${action}: demoting myself`,
      actions: [{ type: 'demote', mode: 'graceful' }],
      memory: { isLeader: false, demotedFromPrimary: true },
    }),
  };
}
