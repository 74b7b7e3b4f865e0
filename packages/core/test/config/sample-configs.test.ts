// Patroni-style member configurations (examples/postgres{0,1,2}.yml) load with
// the values Patroni itself would run with, checked field by field.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  buildEffectiveConfig,
  loadConfig,
  resolveDynamicConfig,
  toHaSettings,
  type EffectiveConfig,
  type PatroniConfig,
} from '../../src/config/index.js';

function loadExample(name: string): PatroniConfig {
  const file = fileURLToPath(new URL(`../../../../examples/${name}.yml`, import.meta.url));
  const result = loadConfig([{ file, text: readFileSync(file, 'utf8') }], { mode: 'validate', env: {} });
  if (!result.ok) throw new Error(`${name} did not validate: ${JSON.stringify(result.issues)}`);
  expect(result.warnings).toEqual([]);
  return result.config;
}

function effectiveOf(local: PatroniConfig, dcs?: unknown): EffectiveConfig {
  const dynamic = resolveDynamicConfig({ dcs, bootstrapDcs: local.bootstrap?.dcs });
  expect(dynamic.warnings).toEqual([]);
  return buildEffectiveConfig(local, dynamic.config).config;
}

const members = [
  { file: 'postgres0', name: 'postgresql0', api: 8008, pg: 5432 },
  { file: 'postgres1', name: 'postgresql1', api: 8009, pg: 5433 },
  { file: 'postgres2', name: 'postgresql2', api: 8010, pg: 5434 },
] as const;

describe('Patroni sample member configurations', () => {
  it.each(members)('$file validates and has its identity, addresses and credentials', ({ file, name, api, pg }) => {
    const config = effectiveOf(loadExample(file));
    expect(config.name).toBe(name);
    expect(config.scope).toBe('batman');
    expect(config.namespace).toBe('/service');
    expect(config.restapi).toMatchObject({ listen: `127.0.0.1:${api}`, connect_address: `127.0.0.1:${api}`, verify_client: 'none', request_queue_size: 5 });
    expect(config.restapi.authentication).toEqual({ username: 'patroni', password: 'patroni-api-secret' });
    expect(config.ctl?.insecure).toBe(false);
    expect(config.etcd3).toMatchObject({ host: '127.0.0.1:2379', protocol: 'http', use_proxies: false });
    expect(config.consul).toBeUndefined();
    expect(config.postgresql.listen).toBe(`127.0.0.1:${pg}`);
    expect(config.postgresql.connect_address).toBe(`127.0.0.1:${pg}`);
    expect(config.postgresql.data_dir).toBe(`data/${name}`);
    expect(config.postgresql.bin_dir).toBe('/usr/lib/postgresql/15/bin');
    expect(config.postgresql.authentication).toEqual({
      superuser: { username: 'postgres', password: 'zalando' },
      replication: { username: 'replicator', password: 'rep-pass' },
      rewind: { username: 'rewind_user', password: 'rewind_password' },
    });
    expect(config.log.type).toBeUndefined();
    expect(config.log).toMatchObject({ level: 'INFO', max_queue_size: 1000, file_num: 4, file_size: 25_000_000 });
  });

  it('timings, lag limit and the 3.x master_start_timeout spelling come from bootstrap.dcs', () => {
    const settings = toHaSettings(effectiveOf(loadExample('postgres0')));
    expect(settings).toEqual({
      ttlSeconds: 30,
      loopWaitSeconds: 10,
      retryTimeoutSeconds: 10,
      maximumLagOnFailoverBytes: 1_048_576,
      maximumLagOnSyncnodeBytes: -1,
      primaryStartTimeoutSeconds: 300,
      primaryStopTimeoutSeconds: 0,
      maxTimelinesHistory: 0,
      synchronousMode: false,
      synchronousModeStrict: false,
      synchronousNodeCount: 1,
      failsafeMode: false,
      checkTimeline: false,
      paused: false,
      usePgRewind: true,
      removeDataDirectoryOnRewindFailure: false,
      removeDataDirectoryOnDivergedTimelines: false,
      canBootstrap: true,
      replicaMethodWithoutLeader: false,
      watchdogMode: 'off',
      preferLastLeaderAfterDcsOutage: false,
      useSlots: true,
      permanentSlots: [],
      memberSlotsTtlSeconds: 1800,
      safetyMarginSeconds: 5,
    });
  });

  it('postgresql merges dynamic and local: local pg_hba wins, use_slots and recovery_conf from the DCS side', () => {
    const postgresql = effectiveOf(loadExample('postgres1')).postgresql;
    expect(postgresql.use_pg_rewind).toBe(true);
    expect(postgresql.use_slots).toBe(true);
    expect(postgresql.pg_hba).toEqual(['local all all trust', 'host replication replicator 127.0.0.1/32 md5', 'host all all 127.0.0.1/32 md5']);
    expect(postgresql.recovery_conf).toEqual({ restore_command: 'cp ../wal_archive/%f %p' });
    expect(postgresql.parameters).toEqual({
      wal_level: 'replica',
      hot_standby: 'on',
      max_connections: 100,
      max_worker_processes: 8,
      wal_keep_size: '128MB',
      max_wal_senders: 10,
      max_replication_slots: 10,
      max_prepared_transactions: 0,
      max_locks_per_transaction: 64,
      wal_log_hints: 'on',
      track_commit_timestamp: 'off',
      archive_mode: 'on',
      archive_timeout: '1800s',
      archive_command: 'mkdir -p ../wal_archive && test ! -f ../wal_archive/%f && cp %p ../wal_archive/%f',
      unix_socket_directories: '..',
      shared_buffers: '128MB',
    });
  });

  it('bootstrap section: initdb options, pg_hba lines, default method', () => {
    const bootstrap = loadExample('postgres0').bootstrap;
    expect(bootstrap?.method).toBe('initdb');
    expect(bootstrap?.initdb).toEqual([{ encoding: 'UTF8' }, 'data-checksums']);
    expect(bootstrap?.pg_hba).toEqual(['host replication replicator 127.0.0.1/32 md5', 'host all all 0.0.0.0/0 md5']);
  });

  it('watchdog: `mode: off` is YAML 1.1 false and means off; postgres1 runs it automatic', () => {
    expect(loadExample('postgres0').watchdog).toEqual({ mode: 'off', device: '/dev/watchdog', safety_margin: 5, driver: 'default' });
    expect(loadExample('postgres1').watchdog).toEqual({ mode: 'automatic', device: '/dev/watchdog', safety_margin: 5, driver: 'default' });
  });

  it('tags are kept as written, custom tags included', () => {
    expect(loadExample('postgres0').tags).toEqual({ noloadbalance: false, clonefrom: false, nosync: false, nostream: false });
    expect(loadExample('postgres2').tags).toEqual({
      nofailover: false,
      failover_priority: 2,
      noloadbalance: true,
      clonefrom: true,
      nosync: true,
      nostream: false,
      datacenter: 'dc2',
    });
  });

  it('once the cluster has a /config, it replaces bootstrap.dcs entirely (not merged over it)', () => {
    const local = loadExample('postgres0');
    const config = effectiveOf(local, { ttl: 60, loop_wait: 5, retry_timeout: 10, postgresql: { parameters: { max_connections: 200 } } });
    expect([config.ttl, config.loop_wait, config.retry_timeout]).toEqual([60, 5, 10]);
    expect(config.postgresql.parameters['max_connections']).toBe(200);
    // use_pg_rewind was only in bootstrap.dcs: no longer in effect.
    expect(config.postgresql.use_pg_rewind).toBeUndefined();
    expect(config.postgresql.parameters['wal_level']).toBe('hot_standby');
    expect(toHaSettings(config).primaryStartTimeoutSeconds).toBe(300);
  });
});

describe('settings read as Patroni reads them', () => {
  it('permanent slots under permanent_replication_slots or permanent_slots count (the first non-empty, as Patroni takes them)', () => {
    const local = loadExample('postgres0');
    expect(toHaSettings(effectiveOf(local, { permanent_slots: { archiver: null } })).permanentSlots).toEqual(['archiver']);
    expect(toHaSettings(effectiveOf(local, { permanent_replication_slots: { cdc: { database: 'app', plugin: 'pgoutput' } }, slots: { archiver: null } })).permanentLogicalSlots).toEqual([{ name: 'cdc', database: 'app', plugin: 'pgoutput' }]);
    expect(toHaSettings(effectiveOf(local, { permanent_slots: {}, slots: { archiver: null } })).permanentSlots).toEqual(['archiver']);
  });

  it('watchdog.safety_margin reaches the fence (the lock validity the agent judges by)', () => {
    const local = loadExample('postgres0');
    expect(toHaSettings(effectiveOf({ ...local, watchdog: { ...local.watchdog, safety_margin: 8 } })).safetyMarginSeconds).toBe(8);
  });
});
