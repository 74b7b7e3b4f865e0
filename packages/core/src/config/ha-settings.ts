/**
 * `HaSettings` for decide(): the dynamic values Patroni's global config reads
 * (with its defaults and 3.x aliases), the adjusted timings, and the local
 * switches that change HA behaviour.
 */
import type { HaSettings } from '../model/decide-types.js';
import type { LogicalSlotSpec } from '../model/actions.js';
import type { SlotMatcher } from '../model/ignore-slots.js';
import type { IgnoreSlot } from './schema-dynamic.js';
import { isStandbyClusterActive, type EffectiveConfig } from './effective-config.js';
import { isConfigMap } from './merge.js';
import { parseBoolean } from './value-parsers.js';

export const DYNAMIC_DEFAULTS = {
  maximum_lag_on_failover: 1_048_576,
  maximum_lag_on_syncnode: -1,
  max_timelines_history: 0,
  primary_start_timeout: 300,
  primary_stop_timeout: 0,
  synchronous_node_count: 1,
  member_slots_ttl: 1800,
} as const;

/**
 * A replica method that needs no replication connection (§5.1 step 3). In a
 * standby cluster only `standby_cluster.create_replica_methods` count, as in
 * Patroni (none set: none count).
 */
function replicaMethodWithoutLeader(postgresql: EffectiveConfig['postgresql'], standbyMethods: readonly string[] | undefined): boolean {
  const methods = standbyMethods ?? postgresql.create_replica_methods ?? postgresql.create_replica_method ?? ['basebackup'];
  return methods.some((method) => {
    if (method === 'basebackup') return false;
    const section = (postgresql as Record<string, unknown>)[method];
    if (!isConfigMap(section)) return false;
    return parseBoolean(section['no_leader']) === true || parseBoolean(section['no_master']) === true;
  });
}

function standbyClusterSettings(config: EffectiveConfig): HaSettings['standbyCluster'] {
  const standby = config.standby_cluster;
  if (!standby || !isStandbyClusterActive(standby)) return undefined;
  return {
    ...(standby.host ? { host: standby.host } : {}),
    ...(standby.port !== undefined ? { port: standby.port } : {}),
    ...(standby.primary_slot_name ? { primarySlotName: standby.primary_slot_name } : {}),
    ...(standby.restore_command ? { restoreCommand: standby.restore_command } : {}),
    ...(standby.archive_cleanup_command ? { archiveCleanupCommand: standby.archive_cleanup_command } : {}),
    ...(standby.recovery_min_apply_delay !== undefined ? { recoveryMinApplyDelay: String(standby.recovery_min_apply_delay) } : {}),
    ...(standby.create_replica_methods !== undefined && standby.create_replica_methods.length > 0 ? { createReplicaMethods: standby.create_replica_methods } : {}),
  };
}

/** The HA settings of one cycle, from the effective configuration. */
function permanentPhysicalSlots(slots: Readonly<Record<string, { readonly type?: string } | null>> | undefined): string[] {
  return Object.entries(slots ?? {})
    .filter(([, slot]) => slot === null || slot.type === undefined || slot.type === 'physical')
    .map(([name]) => name);
}

/** Permanent logical slots: `type: logical` (or no type with both `database` and `plugin`, as Patroni infers it). */
function permanentLogicalSlots(slots: Readonly<Record<string, { readonly type?: string; readonly database?: string; readonly plugin?: string } | null>> | undefined): LogicalSlotSpec[] {
  const result: LogicalSlotSpec[] = [];
  for (const [name, slot] of Object.entries(slots ?? {})) {
    if (slot === null || slot.database === undefined || slot.plugin === undefined) continue;
    if (slot.type === 'logical') result.push({ name, database: slot.database, plugin: slot.plugin });
  }
  return result;
}

/** Only the four keys Patroni compares (the schema lets other keys through). */
function slotMatchers(entries: readonly IgnoreSlot[]): SlotMatcher[] {
  return entries.map((entry) => ({
    ...(entry.name !== undefined ? { name: entry.name } : {}),
    ...(entry.type !== undefined ? { type: entry.type } : {}),
    ...(entry.database !== undefined ? { database: entry.database } : {}),
    ...(entry.plugin !== undefined ? { plugin: entry.plugin } : {}),
  }));
}

/** Patroni reads `permanent_replication_slots`, else `permanent_slots`, else `slots` (the first non-empty). */
function permanentSlotsOf(dynamic: EffectiveConfig['dynamic']): EffectiveConfig['dynamic']['slots'] {
  for (const candidate of [dynamic.permanent_replication_slots, dynamic.permanent_slots, dynamic.slots]) {
    if (candidate !== undefined && Object.keys(candidate).length > 0) return candidate;
  }
  return undefined;
}

export function toHaSettings(config: EffectiveConfig): HaSettings {
  const dynamic = config.dynamic;
  const slots = permanentSlotsOf(dynamic);
  const standbyCluster = standbyClusterSettings(config);
  // Synchronous replication is meaningless for a standby cluster's leader (Patroni ignores it there).
  const synchronousMode = standbyCluster ? false : (dynamic.synchronous_mode ?? false);
  return {
    ttlSeconds: config.ttl,
    loopWaitSeconds: config.loop_wait,
    retryTimeoutSeconds: config.retry_timeout,
    maximumLagOnFailoverBytes: dynamic.maximum_lag_on_failover ?? DYNAMIC_DEFAULTS.maximum_lag_on_failover,
    maximumLagOnSyncnodeBytes: dynamic.maximum_lag_on_syncnode ?? DYNAMIC_DEFAULTS.maximum_lag_on_syncnode,
    primaryStartTimeoutSeconds: dynamic.primary_start_timeout ?? dynamic.master_start_timeout ?? DYNAMIC_DEFAULTS.primary_start_timeout,
    primaryStopTimeoutSeconds: dynamic.primary_stop_timeout ?? dynamic.master_stop_timeout ?? DYNAMIC_DEFAULTS.primary_stop_timeout,
    maxTimelinesHistory: dynamic.max_timelines_history ?? DYNAMIC_DEFAULTS.max_timelines_history,
    synchronousMode,
    synchronousModeStrict: dynamic.synchronous_mode_strict ?? false,
    synchronousNodeCount: Math.max(1, dynamic.synchronous_node_count ?? DYNAMIC_DEFAULTS.synchronous_node_count),
    failsafeMode: dynamic.failsafe_mode ?? false,
    checkTimeline: dynamic.check_timeline ?? false,
    paused: dynamic.pause ?? false,
    usePgRewind: config.postgresql.use_pg_rewind ?? false,
    removeDataDirectoryOnRewindFailure: config.postgresql.remove_data_directory_on_rewind_failure ?? false,
    removeDataDirectoryOnDivergedTimelines: config.postgresql.remove_data_directory_on_diverged_timelines ?? false,
    ...(standbyCluster ? { standbyCluster } : {}),
    canBootstrap: config.bootstrap !== undefined,
    replicaMethodWithoutLeader: replicaMethodWithoutLeader(config.postgresql, standbyCluster ? (standbyCluster.createReplicaMethods ?? []) : undefined),
    watchdogMode: config.watchdog.mode,
    useSlots: config.postgresql.use_slots !== false,
    permanentSlots: permanentPhysicalSlots(slots),
    ...(config.watchdog?.safety_margin !== undefined ? { safetyMarginSeconds: config.watchdog.safety_margin } : {}),
    memberSlotsTtlSeconds: dynamic.member_slots_ttl ?? DYNAMIC_DEFAULTS.member_slots_ttl,
    ...(permanentLogicalSlots(slots).length > 0 ? { permanentLogicalSlots: permanentLogicalSlots(slots) } : {}),
    ...(dynamic.ignore_slots !== undefined && dynamic.ignore_slots.length > 0 ? { ignoreSlots: slotMatchers(dynamic.ignore_slots) } : {}),
    preferLastLeaderAfterDcsOutage: dynamic.pgwarden?.prefer_last_leader_after_dcs_outage ?? false,
  };
}
