/**
 * The configuration the agent runs with: built-in defaults, overlaid by the
 * allowed parts of the dynamic configuration, overlaid by the local file
 * (Patroni's `_build_effective_configuration`). Timings and standby_cluster
 * come only from the dynamic side, so every member runs the same clock rules;
 * addresses, paths and credentials only from the local side.
 */
import { isConfigMap, structuredCloneValue } from './merge.js';
import { mergeParameters, type ParameterValue } from './postgres-parameters.js';
import type { DynamicConfig, StandbyClusterConfig } from './schema-dynamic.js';
import type { PatroniConfig } from './schema.js';
import { adjustTimeouts } from './timeouts.js';

/** Postgres keys that never come from the dynamic configuration. */
const LOCAL_ONLY_POSTGRESQL_KEYS = new Set(['connect_address', 'proxy_address', 'listen', 'config_dir', 'data_dir', 'pgpass', 'authentication']);
/** Postgres keys that only come from the dynamic configuration. */
const DYNAMIC_ONLY_POSTGRESQL_KEYS = new Set(['use_slots']);

export type EffectivePostgresqlConfig = PatroniConfig['postgresql'] & {
  readonly use_slots: boolean;
  readonly bin_dir: string;
  readonly parameters: Readonly<Record<string, ParameterValue>>;
};

/** `A` with the keys of `B` replaced (keeps A's known keys, unlike Omit on a passthrough type). */
type Override<A, B> = { [K in keyof A as K extends keyof B ? never : K]: A[K] } & B;

export type EffectiveConfig = Override<
  PatroniConfig,
  {
    readonly ttl: number;
    readonly loop_wait: number;
    readonly retry_timeout: number;
    readonly postgresql: EffectivePostgresqlConfig;
    readonly standby_cluster?: StandbyClusterConfig;
    /** The dynamic configuration it was built from; HA settings read their values here. */
    readonly dynamic: DynamicConfig;
  }
>;

export interface EffectiveConfigResult {
  readonly config: EffectiveConfig;
  readonly warnings: readonly string[];
}

function mergePostgresql(local: PatroniConfig['postgresql'], dynamic: DynamicConfig['postgresql']) {
  const merged: Record<string, unknown> = { bin_dir: '', use_slots: true };
  for (const [key, value] of Object.entries(dynamic ?? {})) {
    if (key !== 'parameters' && !LOCAL_ONLY_POSTGRESQL_KEYS.has(key)) merged[key] = structuredCloneValue(value);
  }
  for (const [key, value] of Object.entries(local)) {
    if (key !== 'parameters' && !DYNAMIC_ONLY_POSTGRESQL_KEYS.has(key)) merged[key] = structuredCloneValue(value);
  }
  const { parameters, warnings } = mergeParameters(dynamic?.parameters ?? {}, local.parameters ?? {});
  merged['parameters'] = parameters;
  return { postgresql: merged as EffectivePostgresqlConfig, warnings };
}

/** Builds the effective configuration from a validated local config and a dynamic config. */
export function buildEffectiveConfig(local: PatroniConfig, dynamic: DynamicConfig): EffectiveConfigResult {
  const safetyMargin = local.watchdog?.safety_margin;
  const timeouts = adjustTimeouts({ ttl: dynamic.ttl, loop_wait: dynamic.loop_wait, retry_timeout: dynamic.retry_timeout }, safetyMargin !== undefined ? { safety_margin: safetyMargin } : {});
  const { postgresql, warnings } = mergePostgresql(local.postgresql, dynamic.postgresql);
  const rest: Record<string, unknown> = structuredCloneValue({ ...local });
  delete rest['postgresql'];
  delete rest['standby_cluster'];
  for (const key of ['ttl', 'loop_wait', 'retry_timeout']) delete rest[key];
  const config: EffectiveConfig = {
    ...(rest as PatroniConfig),
    ttl: timeouts.ttl,
    loop_wait: timeouts.loop_wait,
    retry_timeout: timeouts.retry_timeout,
    postgresql,
    ...(isConfigMap(dynamic.standby_cluster) ? { standby_cluster: structuredCloneValue(dynamic.standby_cluster) } : {}),
    dynamic,
  };
  return { config, warnings: [...timeouts.warnings, ...warnings] };
}

/** A standby cluster is active when it names a host, a port or a restore_command. */
export function isStandbyClusterActive(standby: StandbyClusterConfig | undefined): boolean {
  return Boolean(standby && (standby.host || standby.port || standby.restore_command));
}
