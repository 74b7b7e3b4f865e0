/**
 * PostgreSQL is not running (spec/ha-loop.md §4 step 11, §6). Nothing is
 * started in pause. The lock holder renews the lock before it restarts a
 * crashed primary; everyone else starts as a replica, after crash recovery
 * or a rewind when its history diverged from the leader's.
 */
import type { Action } from '../../model/actions.js';
import type { Context, Decision } from '../context.js';
import { clusterIsUnlocked, decision, nodeToFollow, ownsLock, remoteMember } from '../context.js';
import { failoverVerdicts } from '../takeover.js';
import { askLeaderHistory, chooseRepair, divergence, wasPrimaryByDataDirectory } from './divergence.js';
import { withLockUpdate } from './own-lock.js';

const UNCLEAN = new Set(['in production', 'in crash recovery', 'shutting down']);

function paused(ctx: Context): Decision {
  if (ownsLock(ctx)) {
    return decision(ctx, { ruleId: 'recover.paused.release', message: 'removed leader lock because postgres is not running', actions: [{ type: 'release-lock' }], memory: { isLeader: false } });
  }
  return decision(ctx, { ruleId: 'recover.paused', message: 'postgres is not running' });
}

function failedToStart(ctx: Context): Decision {
  if (ownsLock(ctx)) {
    return decision(ctx, {
      ruleId: 'recover.start-failed.release',
      message: 'removed leader key after trying and failing to start postgres',
      actions: [{ type: 'release-lock' }],
      memory: { recovering: false, isLeader: false },
    });
  }
  return decision(ctx, { ruleId: 'recover.start-failed', message: 'failed to start postgres', memory: { recovering: false } });
}

function asLockHolder(ctx: Context): Decision {
  const { settings, local } = ctx.input;
  if (settings.primaryStartTimeoutSeconds === 0) {
    const others = ctx.cluster.members.filter((member) => member.name !== ctx.name).map((member) => member.name);
    if (ctx.input.peers === undefined && others.length > 0) {
      return decision(ctx, { ruleId: 'recover.ask-peers', message: 'asking the other members for their status', actions: [{ type: 'fetch-peer-status', members: others }], awaiting: 'peers' });
    }
  }
  if (settings.primaryStartTimeoutSeconds === 0 && failoverVerdicts(ctx, ctx.input.peers ?? []).some((verdict) => verdict.eligible)) {
    return decision(ctx, { ruleId: 'recover.fail-over-after-crash', message: 'stopped PostgreSQL to fail over after a crash', actions: [{ type: 'release-lock' }], memory: { isLeader: false } });
  }
  const wasPrimary = !local.hasRecoveryConfig && local.controlState !== undefined && (UNCLEAN.has(local.controlState) || local.controlState === 'shut down');
  if (wasPrimary && settings.standbyCluster === undefined) {
    const start: Action = { type: 'start', asPrimary: true, timeoutSeconds: settings.primaryStartTimeoutSeconds };
    // Arm the watchdog before a primary starts: if this agent hangs next, the machine resets before the lock expires.
    const watchdog: Action[] = settings.watchdogMode === 'off' ? [] : [{ type: 'watchdog', op: 'activate' }];
    return decision(ctx, { ruleId: 'recover.start-primary', message: 'starting primary after failure', actions: [...watchdog, start], memory: { recovering: true } });
  }
  if (settings.standbyCluster !== undefined) {
    return decision(ctx, {
      ruleId: 'recover.start-standby-leader',
      message: 'starting as a standby leader because i had the session lock',
      actions: [{ type: 'start', asPrimary: false, follow: remoteMember(ctx) }],
      memory: { recovering: true },
    });
  }
  return decision(ctx, {
    ruleId: 'recover.start-readonly-with-lock',
    message: 'starting as readonly because i had the session lock',
    actions: [{ type: 'start', asPrimary: false }],
    memory: { recovering: true, rewind: 'none' },
  });
}

export function decidePostgresNotRunning(ctx: Context): Decision {
  if (ctx.paused) return paused(ctx);
  // The start ran and PostgreSQL is still down; a list that failed before the start retries instead.
  if (ctx.memory.recovering && ctx.input.running === undefined && ctx.input.lastFailure === undefined) return failedToStart(ctx);
  if (ownsLock(ctx)) return withLockUpdate(ctx, asLockHolder(ctx));
  const local = ctx.input.local;
  const target = nodeToFollow(ctx);
  const unclean = !local.hasRecoveryConfig && local.controlState !== undefined && UNCLEAN.has(local.controlState);
  const rewindUsable = ctx.input.settings.usePgRewind && local.rewindable === true;
  if (unclean && ctx.memory.crashRecoveryStartedAtMs === undefined && (clusterIsUnlocked(ctx) || rewindUsable)) {
    return decision(ctx, {
      ruleId: 'recover.crash-recovery',
      message: 'doing crash recovery in a single user mode',
      actions: [{ type: 'crash-recovery' }],
      memory: { crashRecoveryStartedAtMs: ctx.input.nowMs },
    });
  }
  const verdict = target === undefined ? undefined : divergence(ctx);
  if (verdict?.kind === 'ask') return askLeaderHistory(ctx, 'recover', verdict.action);
  if (target !== undefined && verdict !== undefined) {
    const repair = chooseRepair(ctx, target);
    if (repair.kind !== 'stuck') {
      const action: Action = repair.kind === 'rewind' ? { type: 'rewind', source: target } : { type: 'reinitialize', source: target };
      return decision(ctx, { ruleId: `recover.${repair.kind}`, message: repair.message, reason: verdict.message, actions: [action], memory: { rewind: 'running' } });
    }
    if (ctx.memory.demotedFromPrimary) return decision(ctx, { ruleId: 'recover.diverged-stuck', message: repair.message, reason: verdict.message, diverged: true });
  }
  const standbyCluster = ctx.input.settings.standbyCluster !== undefined;
  const message = standbyCluster && clusterIsUnlocked(ctx) ? 'trying to follow a remote member because standby cluster is unhealthy' : 'starting as a secondary';
  const actions: Action[] = [];
  if (ctx.input.settings.synchronousMode !== false && (local.synchronousStandbyNames ?? '') !== '') {
    actions.push({ type: 'set-synchronous-standby-names', value: '' });
  }
  actions.push({ type: 'start', asPrimary: false, ...(target === undefined ? {} : { follow: target }) });
  // Starting as a standby erases the data directory's record that we ran as a primary on this timeline.
  const primaryOnTimeline = wasPrimaryByDataDirectory(ctx) ? local.timeline : ctx.memory.primaryOnTimeline;
  return decision(ctx, { ruleId: 'recover.start-replica', message, actions, memory: { recovering: true, crashRecoveryStartedAtMs: undefined, primaryOnTimeline } });
}
