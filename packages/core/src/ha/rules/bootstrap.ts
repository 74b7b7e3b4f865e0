/**
 * An empty data directory (spec/ha-loop.md §5): the bootstrap race over the
 * `initialize` key (created empty, atomically, by one member only), cloning
 * from the leader or a `clonefrom` member, and the post-bootstrap steps.
 */
import { compareCodePoints } from '../../compare.js';
import type { Action, FollowTarget } from '../../model/actions.js';
import type { Context, Decision } from '../context.js';
import { leaderUpkeep } from './leader-upkeep.js';
import { clusterIsUnlocked, decision, isNoFailover, ownsLock, remoteMember, targetOf } from '../context.js';

function cloneSource(ctx: Context): { readonly member: string; readonly fromLeader: boolean } | undefined {
  const leader = ctx.cluster.leader?.name;
  const clonable = ctx.cluster.members
    .filter((member) => member.name !== ctx.name && member.name !== leader && member.data.tags?.clonefrom === true)
    .filter((member) => member.data.state === 'running' && member.data.conn_url !== undefined)
    .sort((a, b) => compareCodePoints(a.name, b.name));
  const chosen = clonable[0];
  if (chosen !== undefined) return { member: chosen.name, fromLeader: false };
  if (leader !== undefined && leader !== '') return { member: leader, fromLeader: true };
  return undefined;
}

/**
 * A clone in a standby cluster (Patroni's `get_remote_member`): from the
 * chosen member when there is one (its `conn_url`), else from
 * `standby_cluster`'s host and port, always with
 * `standby_cluster.create_replica_methods` (basebackup when none are set:
 * `postgresql.create_replica_methods` does not apply there).
 */
function standbyCloneSource(ctx: Context, member?: FollowTarget): FollowTarget {
  const methods = ctx.input.settings.standbyCluster?.createReplicaMethods ?? ['basebackup'];
  return { ...(member ?? remoteMember(ctx)), createReplicaMethods: methods };
}

export function decideEmptyDataDirectory(ctx: Context): Decision {
  const { local, settings } = ctx.input;
  const stop: Action[] = local.running ? [{ type: 'stop', mode: 'immediate', timeoutSeconds: settings.retryTimeoutSeconds }] : [];
  if (ownsLock(ctx)) {
    const what = local.dataDirectory === 'inaccessible' ? 'not accessible' : 'empty';
    return decision(ctx, { ruleId: 'bootstrap.release-lock', message: `released leader key voluntarily as data dir ${what} and currently leader`, actions: [...stop, { type: 'release-lock' }], memory: { isLeader: false } });
  }
  if (local.dataDirectory === 'inaccessible') return decision(ctx, { ruleId: 'bootstrap.inaccessible', message: 'data directory is not accessible', actions: stop });
  if (ctx.paused) return decision(ctx, { ruleId: 'bootstrap.paused', message: 'running with empty data directory', actions: stop });
  const standby = settings.standbyCluster !== undefined;
  if (clusterIsUnlocked(ctx) && ctx.cluster.initialize === undefined && !isNoFailover(ctx) && settings.canBootstrap) {
    // bootstrap_standby_leader: clone from the remote member described by standby_cluster.
    const run: Action = standby ? { type: 'create-replica', source: standbyCloneSource(ctx) } : { type: 'bootstrap' };
    return decision(ctx, {
      ruleId: 'bootstrap.race',
      message: standby ? 'trying to bootstrap a new standby leader' : 'trying to bootstrap a new cluster',
      actions: [...stop, { type: 'write-initialize', createNew: true }, run],
      memory: { bootstrapping: true, rewind: 'none' },
    });
  }
  const source = cloneSource(ctx);
  if (source !== undefined && !clusterIsUnlocked(ctx)) {
    const member = ctx.cluster.members.find((candidate) => candidate.name === source.member);
    const target = targetOf(member) ?? { name: source.member };
    return decision(ctx, {
      ruleId: source.fromLeader ? 'bootstrap.clone-from-leader' : 'bootstrap.clone-from-replica',
      message: `trying to bootstrap from ${source.fromLeader ? 'leader' : 'replica'} '${source.member}'`,
      actions: [...stop, { type: 'create-replica', source: standby ? standbyCloneSource(ctx, target) : target }],
      memory: { rewind: 'none', demotedFromPrimary: false },
    });
  }
  if (settings.replicaMethodWithoutLeader && ctx.cluster.initialize !== '') {
    const run: Action = standby ? { type: 'create-replica', source: standbyCloneSource(ctx) } : { type: 'create-replica' };
    return decision(ctx, { ruleId: 'bootstrap.clone-without-leader', message: 'trying to bootstrap (without leader)', actions: [...stop, run], memory: { rewind: 'none' } });
  }
  return decision(ctx, { ruleId: 'bootstrap.wait', message: standby ? 'waiting for standby_leader to bootstrap' : 'waiting for leader to bootstrap', actions: stop });
}

/** §5.2: the cycles after we won the initialize race. */
export function decidePostBootstrap(ctx: Context): Decision {
  const { local, lastFailure, lastActionResult } = ctx.input;
  if (lastFailure?.action.type === 'write-initialize') {
    return decision(ctx, { ruleId: 'bootstrap.race-lost', message: 'failed to acquire initialize lock', memory: { bootstrapping: false } });
  }
  const failed = (lastActionResult !== undefined && !lastActionResult.ok) || !local.running;
  if (failed) {
    return decision(ctx, {
      ruleId: 'bootstrap.failed',
      message: 'Failed to bootstrap cluster',
      actions: [
        { type: 'cancel-initialize' },
        ...(local.running ? [{ type: 'stop' as const, mode: 'immediate' as const }] : []),
        { type: 'remove-data-directory', rename: true },
        { type: 'exit', code: 1, reason: 'Failed to bootstrap cluster' },
      ],
      memory: { bootstrapping: false },
    });
  }
  const { settings } = ctx.input;
  // A standby leader's clone is its whole bootstrap: Patroni's bootstrap_standby_leader completes the
  // result itself, so the member takes the lock while in recovery, following the remote member.
  const standbyLeader = settings.standbyCluster !== undefined;
  if (local.inRecovery && !standbyLeader) return decision(ctx, { ruleId: 'bootstrap.wait-recovery', message: 'waiting for end of recovery after bootstrap' });
  const actions: Action[] = [];
  if (local.systemIdentifier !== undefined) actions.push({ type: 'write-initialize', createNew: false, sysid: local.systemIdentifier });
  actions.push({ type: 'take-lock' });
  if (settings.watchdogMode !== 'off') actions.push({ type: 'watchdog', op: 'activate' });
  if (settings.synchronousMode !== false) actions.push({ type: 'set-synchronous-standby-names', value: settings.synchronousModeStrict ? '*' : '' });
  // The checkpoint after a promotion has nothing to do on a standby leader (none happened).
  actions.push(...(standbyLeader ? [] : [{ type: 'checkpoint' } as const]), ...leaderUpkeep(ctx));
  return decision(ctx, { ruleId: 'bootstrap.done', message: 'initialized a new cluster', actions, memory: { bootstrapping: false, isLeader: false } });
}
