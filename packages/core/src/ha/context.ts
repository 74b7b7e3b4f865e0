/**
 * The per-cycle view every rule reads: the input, the cluster snapshot (only
 * when the DCS answered), and small derived facts, plus the builder of the
 * decision record. Rules are pure functions `(ctx) => Decision`.
 */
import type { Action, FollowTarget } from '../model/actions.js';
import type { Cluster, Member } from '../model/cluster.js';
import { findMember, isInSyncState, isPrimaryRole, isUnlocked } from '../model/cluster-helpers.js';
import type { DecideInput, DecideResult } from '../model/decide-types.js';
import type { HaMemory } from './memory.js';

export type Decision = DecideResult<HaMemory>;

export interface Context {
  readonly input: DecideInput<HaMemory>;
  readonly cluster: Cluster;
  readonly name: string;
  readonly memory: HaMemory;
  readonly paused: boolean;
}

export interface DecisionParts {
  readonly ruleId: string;
  readonly message: string;
  readonly actions?: readonly Action[];
  readonly reason?: string;
  readonly memory?: Partial<HaMemory>;
  readonly awaiting?: 'peers' | 'failsafe' | 'leader-history';
  readonly wakeUpAtMs?: number;
  /** A `*.diverged-stuck` or `follow.paused-diverged` rule: sets HaMemory.divergedStuck, from which decide() publishes `diverged`. */
  readonly diverged?: true;
}

/** A demotion re-arms the divergence check (Patroni triggers the rewind check on demote) and notes the timeline we leave. */
function demotionMemory(ctx: Context): Partial<HaMemory> {
  const timeline = ctx.input.local.running && !ctx.input.local.inRecovery ? ctx.input.local.timeline : undefined;
  return { rewind: 'check', demotedFromTimeline: timeline };
}

/** Builds the decision record; in pause every message carries Patroni's `PAUSE: ` prefix. */
export function decision(ctx: Context, parts: DecisionParts): Decision {
  const message = ctx.paused && !parts.message.startsWith('PAUSE: ') ? `PAUSE: ${parts.message}` : parts.message;
  const result: Decision = {
    actions: parts.actions ?? [],
    message,
    ruleId: parts.ruleId,
    memory: {
      ...ctx.memory,
      ...parts.memory,
      ...(parts.memory?.demotedFromPrimary === true ? demotionMemory(ctx) : {}),
      ...(parts.diverged === true ? { divergedStuck: true } : {}),
    },
    ...(parts.reason === undefined ? {} : { reason: parts.reason }),
    ...(parts.awaiting === undefined ? {} : { awaiting: parts.awaiting }),
    ...(parts.wakeUpAtMs === undefined ? {} : { wakeUpAtMs: parts.wakeUpAtMs }),
  };
  return result;
}

/** The context with some memory fields replaced (rules that chain use it). */
export function withMemory(ctx: Context, memory: Partial<HaMemory>): Context {
  return { ...ctx, memory: { ...ctx.memory, ...memory } };
}

export function ownsLock(ctx: Context): boolean {
  return ctx.cluster.leader?.name === ctx.name;
}

export function clusterIsUnlocked(ctx: Context): boolean {
  return isUnlocked(ctx.cluster);
}

/** PostgreSQL runs as a read-write primary. */
export function isRunningPrimary(ctx: Context): boolean {
  return ctx.input.local.running && !ctx.input.local.inRecovery;
}

export function tag(ctx: Context, key: string): unknown {
  return ctx.input.self.tags[key];
}

/** Patroni's `nofailover` / failover_priority <= 0: never promote automatically. */
export function isNoFailover(ctx: Context): boolean {
  if (tag(ctx, 'nofailover') === true) return true;
  const priority = tag(ctx, 'failover_priority');
  return typeof priority === 'number' && priority <= 0;
}

export function myPriority(ctx: Context): number {
  if (tag(ctx, 'nofailover') === true) return 0;
  const priority = tag(ctx, 'failover_priority');
  return typeof priority === 'number' ? priority : 1;
}

export function myWalPosition(ctx: Context): number {
  const local = ctx.input.local;
  return local.walPosition ?? Math.max(local.receivedLsn ?? 0, local.replayedLsn ?? 0);
}

/** synchronous_mode on and `/sync` names a leader (Patroni's `is_synchronous_mode` + sync state). */
export function syncModeActive(ctx: Context): boolean {
  const mode = ctx.input.settings.synchronousMode;
  return mode !== false && ctx.input.settings.standbyCluster === undefined;
}

export function syncKeyHasLeader(ctx: Context): boolean {
  const leader = ctx.cluster.sync?.leader;
  return leader !== undefined && leader !== '';
}

export function inSyncKey(ctx: Context, name: string): boolean {
  return isInSyncState(ctx.cluster.sync, name);
}

/** Synchronous mode, `/sync` names a leader, and `name` is neither it nor one of its standbys: it may not promote. */
export function excludedBySync(ctx: Context, name: string): boolean {
  return syncModeActive(ctx) && syncKeyHasLeader(ctx) && !inSyncKey(ctx, name);
}

export function memberApiUrl(member: Member): string | undefined {
  return member.data.api_url;
}

export function targetOf(member: Member | undefined): FollowTarget | undefined {
  if (member === undefined) return undefined;
  return { name: member.name, ...(member.data.conn_url === undefined ? {} : { connUrl: member.data.conn_url }) };
}

/** Node to follow (§9.4): nostream → nobody; standby cluster remote; replicatefrom; else the leader. */
export function nodeToFollow(ctx: Context): FollowTarget | undefined {
  if (tag(ctx, 'nostream') === true) return undefined;
  const standby = ctx.input.settings.standbyCluster;
  if (standby !== undefined && (ownsLock(ctx) || (clusterIsUnlocked(ctx) && !ctx.paused))) {
    return remoteMember(ctx);
  }
  // A `replicatefrom` naming a member that is not there falls back to the leader, as
  // Patroni's get_member() does (spec/ha-loop.md says "nobody"; Patroni's code disagrees).
  const replicateFrom = tag(ctx, 'replicatefrom');
  if (typeof replicateFrom === 'string' && replicateFrom !== ctx.name) {
    const upstream = targetOf(findMember(ctx.cluster, replicateFrom));
    if (upstream !== undefined) return upstream;
  }
  const leaderName = ctx.cluster.leader?.name;
  if (leaderName === undefined || leaderName === '' || leaderName === ctx.name) return undefined;
  return targetOf(findMember(ctx.cluster, leaderName)) ?? { name: leaderName };
}

export function remoteMember(ctx: Context): FollowTarget {
  const standby = ctx.input.settings.standbyCluster ?? {};
  const host = standby.host ?? '';
  const port = standby.port ?? 5432;
  return {
    name: 'remote_member',
    connUrl: `postgres://${host}:${port}/postgres`,
    ...(standby.restoreCommand === undefined ? {} : { restoreCommand: standby.restoreCommand }),
    ...(standby.archiveCleanupCommand === undefined ? {} : { archiveCleanupCommand: standby.archiveCleanupCommand }),
    ...(standby.recoveryMinApplyDelay === undefined ? {} : { recoveryMinApplyDelay: standby.recoveryMinApplyDelay }),
    ...(standby.primarySlotName === undefined ? {} : { primarySlotName: standby.primarySlotName }),
  };
}

export function leaderMember(ctx: Context): Member | undefined {
  return findMember(ctx.cluster, ctx.cluster.leader?.name);
}

export function memberIsPrimary(member: Member | undefined): boolean {
  return isPrimaryRole(member?.data.role);
}
