// The timing rule, the merge rule, and the dynamic/local precedence.
import { describe, expect, it } from 'vitest';
import {
  adjustTimeouts,
  buildEffectiveConfig,
  loadConfig,
  mergeConfig,
  parseBoolean,
  parseDynamicConfig,
  parseInteger,
  resolveDynamicConfig,
  timeoutsKeepRule,
  toHaSettings,
  type PatroniConfig,
} from '../../src/config/index.js';
import { BASE_YAML } from './helpers.js';

/** BASE_YAML, with `overlay` merged over it as a second file (like a conf.d directory). */
function baseConfig(overlay = ''): PatroniConfig {
  const result = loadConfig([{ file: 'member.yml', text: BASE_YAML }, { file: 'overlay.yml', text: overlay }], { env: {} });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

describe('timing rule loop_wait + 2*retry_timeout <= ttl', () => {
  it('defaults are 30/10/10 and keep the rule', () => {
    expect(adjustTimeouts({})).toEqual({ ttl: 30, loop_wait: 10, retry_timeout: 10, warnings: [] });
    expect(timeoutsKeepRule({ ttl: 30, loop_wait: 10, retry_timeout: 10 })).toBe(true);
  });

  it('values below the minimum are raised to 20/1/3 with Patroni’s warning', () => {
    const adjusted = adjustTimeouts({ ttl: 5, loop_wait: 0, retry_timeout: 1 });
    expect([adjusted.ttl, adjusted.loop_wait, adjusted.retry_timeout]).toEqual([20, 1, 3]);
    expect(adjusted.warnings).toContain("ttl=5 can't be smaller than 20, adjusting...");
  });

  it('loop_wait gives way first', () => {
    const adjusted = adjustTimeouts({ ttl: 25, loop_wait: 10, retry_timeout: 10 });
    expect([adjusted.ttl, adjusted.loop_wait, adjusted.retry_timeout]).toEqual([25, 5, 10]);
  });

  it('retry_timeout shrinks only when loop_wait is already at its minimum', () => {
    const adjusted = adjustTimeouts({ ttl: 20, loop_wait: 10, retry_timeout: 15 });
    expect([adjusted.ttl, adjusted.loop_wait, adjusted.retry_timeout]).toEqual([20, 1, 9]);
    expect(timeoutsKeepRule(adjusted)).toBe(true);
  });

  it('the fast profile runs values below Patroni’s floors as given when its fence argument holds', () => {
    expect(adjustTimeouts({ ttl: 5, loop_wait: 1, retry_timeout: 1 })).toEqual({ ttl: 5, loop_wait: 1, retry_timeout: 1, warnings: [] });
    expect(adjustTimeouts({ ttl: 30, loop_wait: 10, retry_timeout: 2 })).toEqual({ ttl: 30, loop_wait: 10, retry_timeout: 2, warnings: [] });
  });

  it('otherwise Patroni’s adjustment applies, with a warning naming the condition that failed', () => {
    const adjusted = adjustTimeouts({ ttl: 5, loop_wait: 1, retry_timeout: 1 }, { safety_margin: 0 });
    expect([adjusted.ttl, adjusted.loop_wait, adjusted.retry_timeout]).toEqual([20, 1, 3]);
    expect(adjusted.warnings[0]).toMatch(/^the fast timing profile can not run ttl=5, loop_wait=1, retry_timeout=1: the fence margin .* is 0 ms, less than the 1000 ms/);
    expect(adjusted.warnings).toContain("ttl=5 can't be smaller than 20, adjusting...");
  });

  it('string values from the DCS are cast to integers', () => {
    const adjusted = adjustTimeouts({ ttl: '40', loop_wait: '5', retry_timeout: '10' });
    expect([adjusted.ttl, adjusted.loop_wait, adjusted.retry_timeout]).toEqual([40, 5, 10]);
  });
});

describe('merge rule (patch_config)', () => {
  it('null deletes, maps merge recursively, other values replace', () => {
    const base = { a: 1, b: { c: 2, d: 3 }, e: [1, 2] };
    expect(mergeConfig(base, { a: null, b: { d: 4, f: 5 }, e: [3] })).toEqual({ b: { c: 2, d: 4, f: 5 }, e: [3] });
    expect(base).toEqual({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] });
  });
});

describe('dynamic and local configuration', () => {
  it('local ttl/loop_wait/retry_timeout are ignored (dynamic only), with a warning', () => {
    const result = loadConfig([{ file: 'member.yml', text: `${BASE_YAML}ttl: 90\n` }], { env: {} });
    expect(result.ok && result.warnings.map((w) => `${w.path}@${w.source?.kind === 'file' ? w.source.line : '?'}`)).toEqual(['ttl@29']);
    if (!result.ok) return;
    expect(buildEffectiveConfig(result.config, parseDynamicConfig({ ttl: 40 }).config).config.ttl).toBe(40);
  });

  it('cluster-wide parameters come only from the dynamic config; local ones are dropped with a warning', () => {
    const local = baseConfig('postgresql:\n  parameters:\n    max_connections: 500\n    work_mem: 8MB\n');
    const { config, warnings } = buildEffectiveConfig(local, parseDynamicConfig({ postgresql: { parameters: { max_connections: 300, work_mem: '4MB' } } }).config);
    expect(config.postgresql.parameters['max_connections']).toBe(300);
    expect(config.postgresql.parameters['work_mem']).toBe('8MB');
    expect(warnings.join('\n')).toContain('local postgresql.parameters.max_connections is ignored');
  });

  it('an invalid dynamic value of a controlled parameter falls back to the default', () => {
    const { config, warnings } = buildEffectiveConfig(baseConfig(), parseDynamicConfig({ postgresql: { parameters: { max_connections: 10, wal_level: 'minimal', max_wal_senders: 5 } } }).config);
    expect(config.postgresql.parameters['max_connections']).toBe(100);
    expect(config.postgresql.parameters['wal_level']).toBe('hot_standby');
    expect(config.postgresql.parameters['max_wal_senders']).toBe(5);
    expect(warnings).toHaveLength(2);
  });

  it('addresses, data_dir and credentials never come from the dynamic config; use_slots only from it', () => {
    const { config } = buildEffectiveConfig(
      baseConfig(),
      parseDynamicConfig({ postgresql: { data_dir: '/elsewhere', listen: '0.0.0.0:1', use_slots: false, authentication: { superuser: { username: 'x' } } } }).config,
    );
    expect(config.postgresql.data_dir).toBe('/var/lib/postgresql/15/main');
    expect(config.postgresql.listen).toBe('127.0.0.1:5432');
    expect(config.postgresql.authentication.superuser.username).toBe('postgres');
    expect(config.postgresql.use_slots).toBe(false);
  });

  it('a bad field in the DCS /config is dropped with a warning, the rest applies', () => {
    const resolved = resolveDynamicConfig({ dcs: { ttl: 40, maximum_lag_on_failover: 'lots', synchronous_mode: true } });
    expect(resolved.source).toBe('dcs');
    expect(resolved.config.maximum_lag_on_failover).toBeUndefined();
    expect(resolved.warnings).toHaveLength(1);
    const settings = toHaSettings(buildEffectiveConfig(baseConfig(), resolved.config).config);
    expect([settings.ttlSeconds, settings.maximumLagOnFailoverBytes, settings.synchronousMode]).toEqual([40, 1_048_576, true]);
  });

  it('ignore_slots of the dynamic configuration become the matchers of the HA settings (only the four compared keys)', () => {
    const dynamic = parseDynamicConfig({ ignore_slots: [{ name: 'barman', type: 'physical', comment: 'backups' }, { database: 'shop', plugin: 'pgoutput' }] });
    expect(dynamic.warnings).toEqual([]);
    const settings = toHaSettings(buildEffectiveConfig(baseConfig(), dynamic.config).config);
    expect(settings.ignoreSlots).toEqual([{ name: 'barman', type: 'physical' }, { database: 'shop', plugin: 'pgoutput' }]);
    expect(toHaSettings(buildEffectiveConfig(baseConfig(), parseDynamicConfig({}).config).config).ignoreSlots).toBeUndefined();
  });

  it('switches written as text through the REST API are read like Patroni’s parse_bool', () => {
    const dynamic = parseDynamicConfig({ pause: 'on', failsafe_mode: 'true', check_timeline: 'off', synchronous_mode: 'yes' });
    expect(dynamic.warnings).toEqual([]);
    const settings = toHaSettings(buildEffectiveConfig(baseConfig(), dynamic.config).config);
    expect([settings.paused, settings.failsafeMode, settings.checkTimeline, settings.synchronousMode]).toEqual([true, true, false, true]);
  });

  it('role credentials keep only the libpq options Patroni keeps', () => {
    const local = baseConfig('postgresql:\n  authentication:\n    superuser:\n      sslmode: require\n      application_name: sneaky\n');
    expect(local.postgresql.authentication.superuser).toEqual({ username: 'postgres', password: 'secret', sslmode: 'require' });
  });

  it('the dynamic config comes from the DCS, else the local cache, else bootstrap.dcs', () => {
    expect(resolveDynamicConfig({ dcs: {}, cached: { ttl: 50 }, bootstrapDcs: { ttl: 60 } }).source).toBe('cache');
    expect(resolveDynamicConfig({ bootstrapDcs: { ttl: 60 } }).config.ttl).toBe(60);
    expect(resolveDynamicConfig({}).source).toBe('defaults');
  });

  it('standby_cluster comes from the dynamic config and turns synchronous mode off', () => {
    const dynamic = parseDynamicConfig({ synchronous_mode: true, standby_cluster: { host: '10.0.0.5', port: 5432, primary_slot_name: 'standby' } }).config;
    const settings = toHaSettings(buildEffectiveConfig(baseConfig(), dynamic).config);
    expect(settings.standbyCluster).toEqual({ host: '10.0.0.5', port: 5432, primarySlotName: 'standby' });
    expect(settings.synchronousMode).toBe(false);
  });

  it('standby_cluster.create_replica_methods reach the settings; only they decide a clone without leader there', () => {
    const local = baseConfig('postgresql:\n  create_replica_methods: [wal_g, basebackup]\n  wal_g:\n    command: wal-g backup-fetch\n    no_leader: true\n');
    const withMethods = parseDynamicConfig({ standby_cluster: { host: '10.0.0.5', create_replica_methods: ['wal_g', 'basebackup'] } }).config;
    const withMethodsSettings = toHaSettings(buildEffectiveConfig(local, withMethods).config);
    expect(withMethodsSettings.standbyCluster).toEqual({ host: '10.0.0.5', createReplicaMethods: ['wal_g', 'basebackup'] });
    expect(withMethodsSettings.replicaMethodWithoutLeader).toBe(true);
    // postgresql.create_replica_methods do not apply to a standby cluster (Patroni's get_remote_member).
    const without = parseDynamicConfig({ standby_cluster: { host: '10.0.0.5' } }).config;
    const withoutSettings = toHaSettings(buildEffectiveConfig(local, without).config);
    expect(withoutSettings.standbyCluster).toEqual({ host: '10.0.0.5' });
    expect(withoutSettings.replicaMethodWithoutLeader).toBe(false);
  });

  it('Patroni 3.x spellings are read: master_start_timeout, master_stop_timeout, no_master', () => {
    const local = baseConfig('postgresql:\n  create_replica_methods: [wal_g, basebackup]\n  wal_g:\n    command: wal-g backup-fetch\n    no_master: 1\n');
    const dynamic = parseDynamicConfig({ master_start_timeout: 60, master_stop_timeout: 30, synchronous_mode: 'quorum' }).config;
    const settings = toHaSettings(buildEffectiveConfig(local, dynamic).config);
    expect([settings.primaryStartTimeoutSeconds, settings.primaryStopTimeoutSeconds, settings.synchronousMode]).toEqual([60, 30, 'quorum']);
    expect(settings.replicaMethodWithoutLeader).toBe(true);
  });

  it('nofailover contradicting failover_priority is a warning; nofailover wins', () => {
    const result = loadConfig([{ file: 'member.yml', text: `${BASE_YAML}  failover_priority: 0\n` }], { env: {} });
    expect(result.ok && result.warnings.map((w) => w.path)).toEqual(['tags.nofailover']);
  });

  it('sections whose lines are all commented out are empty, as in Patroni’s own sample files', () => {
    const text = BASE_YAML.replace('    postgresql:\n      parameters:\n        max_connections: 100\n', '    postgresql:\n      parameters:\n#        max_connections: 100\n    slots:\n      archiver:\n')
      .replace('tags:\n  nofailover: false\n', 'tags:\n#  nofailover: false\nwatchdog:\n');
    const result = loadConfig([{ file: 'member.yml', text }], { env: {}, mode: 'validate' });
    expect(result.ok && [result.config.tags, result.config.watchdog.mode, result.config.bootstrap?.dcs.slots]).toEqual([{}, 'automatic', { archiver: { type: 'physical' } }]);
  });

  it('a directory of files merges in order: later files win', () => {
    const result = loadConfig([
      { file: 'conf.d/00-base.yml', text: BASE_YAML },
      { file: 'conf.d/10-node.yml', text: 'name: postgresql7\ntags:\n  nofailover: true\n' },
    ], { env: {} });
    expect(result.ok && [result.config.name, result.config.tags.nofailover]).toEqual(['postgresql7', true]);
  });
});

describe('value parsing like Patroni', () => {
  it('booleans accept on/off/yes/no/true/false/1/0', () => {
    expect(['on', 'YES', 'true', '1'].map(parseBoolean)).toEqual([true, true, true, true]);
    expect(['off', 'no', 'False', '0'].map(parseBoolean)).toEqual([false, false, false, false]);
    expect(parseBoolean('maybe')).toBeUndefined();
  });

  it('integers accept PostgreSQL units, hex and octal', () => {
    expect(parseInteger('1GB', 'MB')).toBe(1024);
    expect(parseInteger('5min', 's')).toBe(300);
    expect(parseInteger('0x10')).toBe(16);
    expect(parseInteger('010')).toBe(8);
    expect(parseInteger('1.6')).toBe(2);
    expect(parseInteger('128mb', 'MB')).toBeUndefined();
  });
});
