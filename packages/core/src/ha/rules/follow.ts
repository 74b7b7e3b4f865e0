/**
 * Following (spec/ha-loop.md §9.4): a member without the lock runs as a
 * replica of the node to follow. A running primary here demotes at once
 * (`immediate-nolock`: the lock is already someone else's or nobody's).
 */
import type { Action, FollowTarget } from '../../model/actions.js';
import type { Context, Decision } from '../context.js';
import { clusterIsUnlocked, decision, isRunningPrimary, nodeToFollow, ownsLock, tag } from '../context.js';
import { copyLogicalSlotsAction, replicaSlotActions } from './leader-upkeep.js';
import { askLeaderHistory, chooseRepair, divergence } from './divergence.js';

export interface FollowMessages {
  readonly ruleId: string;
  readonly demote: string;
  readonly follow: string;
  readonly reason?: string;
}

function hostPort(target: FollowTarget | undefined): string | undefined {
  const url = target?.connUrl;
  if (url === undefined) return undefined;
  const match = /^postgres(?:ql)?:\/\/(?:[^@/]*@)?([^/?]+)/.exec(url);
  return match?.[1];
}

/**
 * Whether PostgreSQL must be re-pointed (primary_conninfo) at `target`. While
 * nobody holds the lock we keep streaming from whoever we streamed from: the
 * old primary may still be alive and retake the lock.
 */
export function needsRepoint(ctx: Context, target: FollowTarget | undefined): boolean {
  if (target === undefined && clusterIsUnlocked(ctx)) return false;
  return ctx.input.local.followingHost !== hostPort(target);
}

export function defaultFollowMessage(ctx: Context, target: FollowTarget | undefined): string {
  if (target === undefined) return `no action. I am (${ctx.name}), a secondary, and following nobody`;
  const standby = ctx.input.settings.standbyCluster !== undefined ? 'a standby leader' : 'a leader';
  return `no action. I am (${ctx.name}), a secondary, and following ${standby} (${target.name ?? ''})`;
}

export function follow(ctx: Context, messages: FollowMessages): Decision {
  const target = nodeToFollow(ctx);
  const base = { ...(messages.reason === undefined ? {} : { reason: messages.reason }) };
  if (ctx.paused) {
    if (isRunningPrimary(ctx)) return decision(ctx, { ...base, ruleId: 'follow.paused-primary', message: 'continue to run as primary without lock' });
    const message = target === undefined ? `no action. I am (${ctx.name})` : messages.follow;
    // Nothing repairs a diverged history while paused: marked as a stuck one is (the replica checks fail), judged as unpaused.
    const verdict = target !== undefined && tag(ctx, 'nostream') !== true ? divergence(ctx) : undefined;
    if (verdict?.kind === 'ask') return askLeaderHistory(ctx, 'follow', verdict.action);
    if (verdict !== undefined) return decision(ctx, { ruleId: 'follow.paused-diverged', message, reason: `our timeline diverged from the leader: ${verdict.message}; paused, so nothing repairs it`, diverged: true });
    return decision(ctx, { ...base, ruleId: 'follow.paused', message });
  }
  if (isRunningPrimary(ctx)) {
    const actions: Action[] = [{ type: 'demote', mode: 'immediate-nolock', ...(target === undefined ? {} : { follow: target }) }];
    return decision(ctx, { ...base, ruleId: `${messages.ruleId}.demote`, message: messages.demote, actions, memory: { isLeader: false, demotedFromPrimary: true } });
  }
  const verdict = target !== undefined && tag(ctx, 'nostream') !== true ? divergence(ctx) : undefined;
  if (verdict?.kind === 'ask') return askLeaderHistory(ctx, 'follow', verdict.action);
  if (target !== undefined && verdict !== undefined) {
    const repair = chooseRepair(ctx, target);
    if (repair.kind === 'stuck') return decision(ctx, { ruleId: 'follow.diverged-stuck', message: repair.message, reason: `our timeline diverged from the leader: ${verdict.message}`, diverged: true });
    const action: Action = repair.kind === 'rewind' ? { type: 'rewind', source: target } : { type: 'reinitialize', source: target };
    return decision(ctx, { ruleId: `follow.${repair.kind}`, message: repair.message, reason: verdict.message, actions: [action], memory: { rewind: 'running' } });
  }
  const message = messages.follow;
  const slots = replicaSlotActions(ctx, ownsLock(ctx) && ctx.input.settings.standbyCluster !== undefined);
  if (needsRepoint(ctx, target)) {
    const action: Action = target === undefined ? { type: 'follow' } : { type: 'follow', target };
    return decision(ctx, { ...base, ruleId: `${messages.ruleId}.repoint`, message, actions: [action, ...slots] });
  }
  // Not while paused: the copy restarts PostgreSQL (Patroni copies in pause too).
  const copy = ctx.paused ? undefined : copyLogicalSlotsAction(ctx);
  if (copy?.type === 'copy-logical-slots') {
    const names = copy.slots.map((slot) => `'${slot.name}'`).join(', ');
    return decision(ctx, { ...base, ruleId: `${messages.ruleId}.copy-logical-slots`, message: `Copying logical slots [${names}] from the primary`, actions: [...slots, copy] });
  }
  return decision(ctx, { ...base, ruleId: messages.ruleId, message, actions: slots });
}

/** A non-owner while someone else holds the lock (§9, healthy cluster). */
export function followLeader(ctx: Context): Decision {
  const target = nodeToFollow(ctx);
  const standbyCluster = ctx.input.settings.standbyCluster !== undefined;
  return follow(ctx, {
    ruleId: 'follow.leader',
    demote: standbyCluster ? 'cannot be a real primary in a standby cluster' : 'demoting self because I do not have the lock and I was a leader',
    follow: defaultFollowMessage(ctx, target),
  });
}
