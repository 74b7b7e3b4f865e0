/**
 * Operator requests from the REST API (spec/ha-loop.md §12): restart (now
 * or when its schedule is due) and reinitialize take the cycle — they start
 * a background action — or are refused with Patroni's words. Allowed in
 * pause because they are explicit; a scheduled restart is not (nobody is
 * there to ask for it at that moment).
 */
import type { FollowTarget } from '../../model/actions.js';
import type { OperatorRequests } from '../../model/decide-types.js';
import { findMember, isPrimaryRole } from '../../model/cluster-helpers.js';
import type { Context, Decision } from '../context.js';
import { decision, isRunningPrimary, ownsLock } from '../context.js';

type RestartRequest = NonNullable<OperatorRequests['restart']>;

/** The role the restart conditions compare with: Patroni's `state_handler.role`. */
function myRole(ctx: Context): string {
  if (ctx.input.settings.standbyCluster !== undefined && ownsLock(ctx)) return 'standby_leader';
  return isRunningPrimary(ctx) ? 'primary' : 'replica';
}

/**
 * Patroni's restart_matches: why the restart must not run, or undefined.
 * The API answers `restart conditions are not satisfied` for any of them.
 */
export function restartConditionFailure(ctx: Context, restart: RestartRequest): string | undefined {
  const role = myRole(ctx);
  if (restart.role !== undefined && !(restart.role === role || (isPrimaryRole(restart.role) && role === 'primary'))) return 'host role mismatch';
  const running = ctx.input.local.serverVersion;
  if (restart.postgresVersion !== undefined && running !== undefined && restart.postgresVersion <= running) return 'postgres version mismatch';
  if (restart.restartPending === true && Object.keys(ctx.input.local.pendingRestart).length === 0) return 'pending restart flag is not set';
  return undefined;
}

function decideRestart(ctx: Context, restart: RestartRequest): Decision {
  const { scheduled } = restart;
  if (scheduled !== undefined && ctx.paused) {
    return decision(ctx, { ruleId: 'request.restart.scheduled-paused', message: 'scheduled restart skipped: the cluster is paused' });
  }
  const now = ctx.input.local.postmasterStartTime;
  if (scheduled?.postmasterStartTime !== undefined && now !== undefined && now !== scheduled.postmasterStartTime) {
    return decision(ctx, { ruleId: 'request.restart.already-happened', message: `Cancelling scheduled restart: postgres restart has already happened at ${now}` });
  }
  const failure = restartConditionFailure(ctx, restart);
  if (failure !== undefined) {
    return decision(ctx, { ruleId: 'request.restart.conditions', message: 'restart conditions are not satisfied', reason: failure });
  }
  const timeout = restart.timeoutSeconds ?? ctx.input.settings.primaryStartTimeoutSeconds;
  return decision(ctx, { ruleId: 'request.restart', message: 'restart initiated', actions: [{ type: 'restart', timeoutSeconds: timeout }], memory: { recovering: true } });
}

/** The leader, or a running `clonefrom` replica unless the operator asked for the leader (spec §12.3). */
function cloneSource(ctx: Context, fromLeader: boolean): FollowTarget | undefined {
  const leaderName = ctx.cluster.leader?.name;
  const clonefrom = fromLeader
    ? undefined
    : ctx.cluster.members.find(
        (member) => member.name !== leaderName && member.name !== ctx.name && member.data.tags?.clonefrom === true && member.data.state === 'running',
      );
  const chosen = clonefrom ?? (leaderName === undefined ? undefined : findMember(ctx.cluster, leaderName));
  // In a standby cluster every clone uses standby_cluster.create_replica_methods (basebackup when unset), as at bootstrap.
  const standby = ctx.input.settings.standbyCluster;
  const methods = standby === undefined ? {} : { createReplicaMethods: standby.createReplicaMethods ?? ['basebackup'] };
  if (chosen === undefined) return leaderName === undefined ? undefined : { name: leaderName, ...methods };
  return { name: chosen.name, ...(chosen.data.conn_url === undefined ? {} : { connUrl: chosen.data.conn_url }), ...methods };
}

export function handleRequests(ctx: Context): Decision | undefined {
  const { restart, reinitialize } = ctx.input.requests;
  if (restart !== undefined) return decideRestart(ctx, restart);
  if (reinitialize !== undefined) {
    const leader = ctx.cluster.leader?.name;
    if (leader === undefined || leader === '') return decision(ctx, { ruleId: 'request.reinitialize.no-leader', message: 'Cluster has no leader, can not reinitialize' });
    if (ownsLock(ctx)) return decision(ctx, { ruleId: 'request.reinitialize.leader', message: 'I am the leader, can not reinitialize' });
    const source = cloneSource(ctx, reinitialize.fromLeader);
    return decision(ctx, {
      ruleId: 'request.reinitialize',
      message: 'reinitialize started',
      actions: [{ type: 'reinitialize', ...(source === undefined ? {} : { source }), ...(reinitialize.force ? { force: true } : {}) }],
      memory: { rewind: 'none', demotedFromPrimary: false },
    });
  }
  return undefined;
}
