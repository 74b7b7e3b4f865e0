/**
 * From the effective configuration (local file + env + dynamic `/config`)
 * to what each adapter takes: PostgresCtl options, etcd settings, the REST
 * API section, this member's identity. Pure mapping, one place, so a key
 * Patroni users set reaches the component that honours it.
 */
import { AUTHENTICATION_KEYS, toHaSettings, type EffectiveConfig, type PatroniConfig, type SelfIdentity } from '@pgwarden/core';
import type { PostgresCtlOptionsInput } from '@pgwarden/postgres-ctl';
import type { EtcdDcsSettings } from '@pgwarden/dcs-etcd';
import type { ConsulDcsSettings } from '@pgwarden/dcs-consul';
import type { RedisDcsSettings } from '@pgwarden/dcs-redis';
import type { ZooKeeperDcsSettings } from '@pgwarden/dcs-zookeeper';
import type { RestApiConfig } from '@pgwarden/rest-api';

type Section = Record<string, unknown>;


function credentials(value: unknown): { username: string } & Section {
  const source = (value ?? {}) as Section;
  const result: Section = {};
  for (const key of AUTHENTICATION_KEYS) if (source[key] !== undefined) result[key] = source[key];
  return result as { username: string } & Section;
}

function defined(entries: Section): Section {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));
}

/** Custom method sections named by create_replica_methods (`postgresql.<method>`). */
function replicaMethodSections(postgresql: Section, methods: readonly string[]): Section {
  const sections: Section = {};
  for (const method of methods) {
    if (method !== 'basebackup' && typeof postgresql[method] === 'object') sections[method] = postgresql[method];
  }
  return sections;
}

/**
 * `standby_cluster.create_replica_methods` as the agent started with: their
 * sections (`postgresql.<method>`) are passed to PostgresCtl beside those of
 * `postgresql.create_replica_methods`, since a standby cluster clones with them.
 */
function standbyReplicaMethods(config: EffectiveConfig): string[] {
  const standby = (config.standby_cluster ?? {}) as Section;
  const methods = standby['create_replica_methods'];
  return Array.isArray(methods) ? methods.filter((method): method is string => typeof method === 'string') : [];
}

/**
 * A member that keeps copies of permanent logical slots needs
 * `hot_standby_feedback` (Patroni forces it there): the primary must keep
 * the catalog rows the copies still need. Forced on whenever permanent
 * logical slots are defined, outside a standby cluster, on members that may
 * become primary (on a primary the setting does nothing).
 */
export function postgresParameters(config: EffectiveConfig): Record<string, unknown> {
  const parameters = { ...(config.postgresql.parameters as Section) };
  const settings = toHaSettings(config);
  const tags = (config.tags ?? {}) as Section;
  const keepsCopies = (settings.permanentLogicalSlots ?? []).length > 0 && settings.standbyCluster === undefined && settings.useSlots !== false && tags['nofailover'] !== true && tags['nostream'] !== true;
  // synchronous_standby_names is pgwarden's while synchronous_mode is on: the user's value is ignored, as Patroni does.
  if (settings.synchronousMode !== false) delete parameters['synchronous_standby_names'];
  return keepsCopies ? { ...parameters, hot_standby_feedback: 'on' } : parameters;
}

export function toPostgresCtlOptions(config: EffectiveConfig): PostgresCtlOptionsInput {
  const postgresql = config.postgresql as unknown as Section;
  const methods = (postgresql['create_replica_methods'] ?? postgresql['create_replica_method'] ?? ['basebackup']) as string[];
  const authentication = postgresql['authentication'] as Section;
  const bootstrap = (config.bootstrap ?? {}) as Section;
  const bootstrapMethod = (bootstrap['method'] as string | undefined) ?? 'initdb';
  return defined({
    name: config.name,
    scope: config.scope,
    data_dir: postgresql['data_dir'],
    config_dir: postgresql['config_dir'],
    config_base_name: postgresql['config_base_name'],
    custom_conf: postgresql['custom_conf'],
    bin_dir: postgresql['bin_dir'],
    bin_name: postgresql['bin_name'] !== undefined ? defined(postgresql['bin_name'] as Section) : undefined,
    listen: postgresql['listen'],
    connect_address: postgresql['connect_address'],
    database: postgresql['database'],
    pgpass: postgresql['pgpass'],
    authentication: defined({
      superuser: credentials(authentication['superuser']),
      replication: credentials(authentication['replication']),
      rewind: authentication['rewind'] !== undefined ? credentials(authentication['rewind']) : undefined,
    }),
    parameters: postgresParameters(config),
    pg_hba: postgresql['pg_hba'],
    pg_ident: postgresql['pg_ident'],
    recovery_conf: postgresql['recovery_conf'],
    basebackup: postgresql['basebackup'],
    create_replica_methods: methods,
    // Sections of the standby cluster's methods too (its leader clones with them, spec/postgres.md §4).
    replica_methods: replicaMethodSections(postgresql, [...methods, ...standbyReplicaMethods(config)]),
    bootstrap: defined({
      method: bootstrapMethod,
      initdb: bootstrap['initdb'],
      pg_hba: bootstrap['pg_hba'],
      post_bootstrap: bootstrap['post_bootstrap'],
      post_init: bootstrap['post_init'],
      users: bootstrap['users'],
      methods: bootstrapMethod !== 'initdb' && typeof bootstrap[bootstrapMethod] === 'object' ? { [bootstrapMethod]: bootstrap[bootstrapMethod] } : {},
    }),
    use_pg_rewind: postgresql['use_pg_rewind'],
    use_slots: postgresql['use_slots'],
    remove_data_directory_on_rewind_failure: postgresql['remove_data_directory_on_rewind_failure'],
    remove_data_directory_on_diverged_timelines: postgresql['remove_data_directory_on_diverged_timelines'],
    pg_ctl_timeout: postgresql['pg_ctl_timeout'],
    use_unix_socket: postgresql['use_unix_socket'],
    pre_promote: postgresql['pre_promote'],
    krbsrvname: postgresql['krbsrvname'],
    before_stop: postgresql['before_stop'],
  }) as unknown as PostgresCtlOptionsInput;
}

type Timings = { ttl: number; loop_wait: number; retry_timeout: number };

/** What every DCS adapter takes besides its own section: who we are and the timings. */
function dcsIdentity(config: PatroniConfig | EffectiveConfig, timings: Timings): Section {
  return {
    scope: config.scope,
    name: config.name,
    namespace: config.namespace,
    ttlSeconds: timings.ttl,
    loopWaitSeconds: timings.loop_wait,
    retryTimeoutSeconds: timings.retry_timeout,
  };
}

export function toEtcdSettings(config: PatroniConfig | EffectiveConfig, timings: Timings): EtcdDcsSettings {
  return defined({ ...((config.etcd3 ?? {}) as Section), ...dcsIdentity(config, timings) }) as unknown as EtcdDcsSettings;
}

export function toConsulSettings(config: PatroniConfig | EffectiveConfig, timings: Timings): ConsulDcsSettings {
  return defined({ ...((config.consul ?? {}) as Section), ...dcsIdentity(config, timings) }) as unknown as ConsulDcsSettings;
}

export function toRedisSettings(config: PatroniConfig | EffectiveConfig, timings: Timings): RedisDcsSettings {
  return defined({ ...((config.redis ?? {}) as Section), ...dcsIdentity(config, timings) }) as unknown as RedisDcsSettings;
}

export function toZooKeeperSettings(config: PatroniConfig | EffectiveConfig, timings: Timings): ZooKeeperDcsSettings {
  return defined({ ...((config.zookeeper ?? {}) as Section), ...dcsIdentity(config, timings) }) as unknown as ZooKeeperDcsSettings;
}

export function toRestApiConfig(config: PatroniConfig): RestApiConfig {
  return defined({ ...(config.restapi as unknown as Section) }) as unknown as RestApiConfig;
}

function advertised(address: string | undefined, fallback: string): string {
  return address !== undefined && address !== '' ? address : fallback;
}

/** Our identity as published in the member key: conn_url and api_url as Patroni builds them. */
export function toSelfIdentity(config: PatroniConfig): SelfIdentity {
  const postgresql = config.postgresql as unknown as Section;
  const restapi = config.restapi as unknown as Section;
  const pgAddress = advertised(postgresql['connect_address'] as string | undefined, String(postgresql['listen']).split(',')[0] ?? '');
  const apiAddress = advertised(restapi['connect_address'] as string | undefined, String(restapi['listen']));
  const scheme = restapi['certfile'] !== undefined ? 'https' : 'http';
  const database = (postgresql['database'] as string | undefined) ?? 'postgres';
  const proxyAddress = postgresql['proxy_address'] as string | undefined;
  return {
    name: config.name,
    connUrl: `postgres://${pgAddress}/${database}`,
    ...(proxyAddress !== undefined && proxyAddress !== '' ? { proxyUrl: `postgres://${proxyAddress}/${database}` } : {}),
    apiUrl: `${scheme}://${apiAddress}/patroni`,
    tags: { ...(config.tags as Section) },
  };
}
