/**
 * Nobody holds the leader key (spec/ha-loop.md §8). Ask the peers if the
 * gate needs them; if we are the healthiest, `acquire-lock` comes first and
 * the promotion after it: the runtime stops at a failed acquire, so nothing
 * is promoted without the key won atomically (DESIGN invariant 2). A lost
 * race shows in the next snapshot (someone else's key): we follow.
 */
import type { Action } from '../../model/actions.js';
import type { Context, Decision } from '../context.js';
import { decision, isNoFailover } from '../context.js';
import { assessHealthiest } from '../takeover.js';
import { enforcePrimaryRole } from './enforce-primary.js';
import { follow } from './follow.js';

function failoverCleanup(ctx: Context): Action[] {
  const failover = ctx.cluster.failover;
  if (failover === undefined) return [];
  if (ctx.paused && failover.leader && failover.candidate) {
    const value = { member: failover.candidate, ...(failover.scheduledAt === undefined ? {} : { scheduled_at: failover.scheduledAt }) };
    return [{ type: 'write-failover', value, version: failover.version }];
  }
  // Only the request this decision saw: the clear runs after the promotion, and a request
  // written meanwhile (the next switchover, sent as soon as we answer /primary) must stay.
  return [{ type: 'clear-failover', version: failover.version }];
}

function wonRace(ctx: Context): Decision {
  if (ctx.input.settings.standbyCluster !== undefined) {
    return follow(ctx, {
      ruleId: 'race.won-standby',
      demote: 'cannot be a real primary in a standby cluster',
      follow: 'promoted self to a standby leader by acquiring session lock',
    });
  }
  // The failover key is cleared after the promotion starts (Patroni clears it before): a
  // request fewer between the old primary's release and the new one taking writes.
  return enforcePrimaryRole(
    ctx,
    { ruleId: 'race.won', alreadyPrimary: 'acquired session lock as a leader', promoted: 'promoted self to leader by acquiring session lock' },
    [],
    failoverCleanup(ctx),
  );
}

export function decideLeaderRace(ctx: Context): Decision {
  const gate = assessHealthiest(ctx);
  if (gate.kind === 'need-peers') {
    return decision(ctx, { ruleId: 'race.ask-peers', message: 'asking the other members for their status', actions: [{ type: 'fetch-peer-status', members: gate.names }], awaiting: 'peers' });
  }
  if (gate.kind === 'healthy') {
    const won = wonRace(ctx);
    return { ...won, reason: gate.reason, actions: [{ type: 'acquire-lock' }, ...won.actions] };
  }
  const notAllowed = isNoFailover(ctx);
  return follow(ctx, {
    ruleId: notAllowed ? 'race.not-allowed' : 'race.not-healthiest',
    demote: notAllowed ? 'demoting self because I am not allowed to become primary' : 'demoting self because i am not the healthiest node',
    follow: notAllowed ? 'following a different leader because I am not allowed to promote' : 'following a different leader because i am not the healthiest node',
    reason: gate.reason,
  });
}
