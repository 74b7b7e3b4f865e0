// SETTINGS.md (every Patroni setting and pgwarden's status) must stay true:
// a row that says `refused` is refused by loadConfig (so by --validate-config
// and by the agent's start-up), a row that says `refused at start` is refused
// by the DCS adapter the agent builds, and every key of pgwarden's
// configuration schema has a row.
import { readFileSync } from 'node:fs';
import { configSchema, dynamicConfigSchema, loadConfig, mergeConfig, PgwardenError, type PatroniConfig } from '@pgwarden/core';
import { createConsulDcs } from '@pgwarden/dcs-consul';
import { createEtcdDcs } from '@pgwarden/dcs-etcd';
import { createZooKeeperDcs } from '@pgwarden/dcs-zookeeper';
import { describe, expect, it } from 'vitest';
import { toConsulSettings, toEtcdSettings, toZooKeeperSettings } from '../../src/adapters/agent-configuration-map.js';

const TABLE_FILE = new URL('../../SETTINGS.md', import.meta.url);
const STATUSES = ['same', 'different:', 'refused:', 'refused at start:', 'UNKNOWN/check:', 'pgwarden only'] as const;

interface Row {
  readonly section: string;
  readonly keys: readonly string[];
  readonly status: string;
  readonly line: number;
}

/** The rows of every table: keys are the backticked names of the first cell, the status is the last cell. */
function readTable(text: string): Row[] {
  const rows: Row[] = [];
  let section = '';
  text.split('\n').forEach((line, index) => {
    if (line.startsWith('## ')) section = line.slice(3).trim();
    if (!line.startsWith('| ') || line.startsWith('| key ') || line.startsWith('| ---')) return;
    const cells = line.replace(/\\\|/g, '¦').split('|').slice(1, -1).map((cell) => cell.trim());
    const keys = [...(cells[0] ?? '').matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');
    rows.push({ section, keys, status: cells[cells.length - 1] ?? '', line: index + 1 });
  });
  return rows;
}

const rows = readTable(readFileSync(TABLE_FILE, 'utf8'));
const statusOf = (row: Row): string => STATUSES.filter((status) => row.status.startsWith(status)).sort((a, b) => b.length - a.length)[0] ?? '';
const allKeys = new Set(rows.flatMap((row) => row.keys));

type Config = Record<string, unknown>;

/** A valid member configuration; a sample is merged over it (`null` deletes a key). */
const BASE: Config = {
  scope: 'demo',
  name: 'node1',
  restapi: { listen: '127.0.0.1:8008', connect_address: '127.0.0.1:8008' },
  etcd3: { hosts: '127.0.0.1:2379' },
  postgresql: {
    listen: '127.0.0.1:5432',
    connect_address: '127.0.0.1:5432',
    data_dir: '/tmp/pgwarden-settings-table-test',
    authentication: { superuser: { username: 'postgres', password: 'x' }, replication: { username: 'r', password: 'y' } },
  },
};

interface Sample {
  /** Merged over BASE (`null` deletes). */
  readonly config?: Config;
  readonly env?: Record<string, string>;
  /** The path of the issue that must name it (default: the key). */
  readonly path?: string;
}

/** A value for every key a `refused` row names: one that Patroni honours and pgwarden must refuse. */
const REFUSED_SAMPLES: Readonly<Record<string, Sample>> = {
  etcd: { config: { etcd: { host: '127.0.0.1:2379' } } },
  exhibitor: { config: { exhibitor: { hosts: ['127.0.0.1'], port: 8181 } } },
  kubernetes: { config: { kubernetes: { namespace: 'default', labels: { application: 'patroni' } } } },
  raft: { config: { raft: { self_addr: '127.0.0.1:2222', data_dir: '/tmp/raft' } } },
  citus: { config: { citus: { group: 0, database: 'citus' } } },
  'etcd3.port': { config: { etcd3: { host: '127.0.0.1:2379', port: 2379 } } },
  'zookeeper.exhibitor': { config: { zookeeper: { hosts: ['127.0.0.1:2181'], exhibitor: { hosts: ['127.0.0.1'], port: 8181 } } } },
  'postgresql.use_unix_socket_repl': { config: { postgresql: { use_unix_socket_repl: true } } },
  'watchdog.driver': { config: { watchdog: { mode: 'automatic', driver: 'testing' } } },
  'citus.group': { config: { citus: { group: 1, database: 'citus' } }, path: 'citus' },
  'citus.database': { config: { citus: { group: 0, database: 'app' } }, path: 'citus' },
  PATRONI_ETCD_KEY: { env: { PATRONI_ETCD_HOST: '127.0.0.1:2379' }, path: 'etcd' },
  PATRONI_EXHIBITOR_KEY: { env: { PATRONI_EXHIBITOR_HOSTS: '127.0.0.1' }, path: 'exhibitor' },
  PATRONI_KUBERNETES_KEY: { env: { PATRONI_KUBERNETES_NAMESPACE: 'default' }, path: 'kubernetes' },
  PATRONI_RAFT_KEY: { env: { PATRONI_RAFT_SELF_ADDR: '127.0.0.1:2222' }, path: 'raft' },
  PATRONI_CITUS_GROUP: { env: { PATRONI_CITUS_GROUP: '0', PATRONI_CITUS_DATABASE: 'citus' }, path: 'citus' },
  PATRONI_CITUS_DATABASE: { env: { PATRONI_CITUS_GROUP: '1', PATRONI_CITUS_DATABASE: 'citus' }, path: 'citus' },
};

/** The same for `refused at start` rows: a DCS section the adapter must refuse, naming `<section>.<key>`. */
const UNREACHABLE = '127.0.0.1:1';
const REFUSED_AT_START_SAMPLES: Readonly<Record<string, Config>> = {
  'etcd3.srv': { etcd3: { srv: 'example.com' } },
  'consul.register_service': { etcd3: null, consul: { host: UNREACHABLE, register_service: true } },
  'zookeeper.use_ssl': { etcd3: null, zookeeper: { hosts: [UNREACHABLE], use_ssl: true } },
  'zookeeper.verify': { etcd3: null, zookeeper: { hosts: [UNREACHABLE], verify: true } },
  'zookeeper.cacert': { etcd3: null, zookeeper: { hosts: [UNREACHABLE], cacert: '/etc/zk/ca.pem' } },
  'zookeeper.cert': { etcd3: null, zookeeper: { hosts: [UNREACHABLE], cert: '/etc/zk/client.pem' } },
  'zookeeper.key': { etcd3: null, zookeeper: { hosts: [UNREACHABLE], key: '/etc/zk/client.key' } },
  'zookeeper.key_password': { etcd3: null, zookeeper: { hosts: [UNREACHABLE], key_password: 'secret' } },
  'zookeeper.set_acls': { etcd3: null, zookeeper: { hosts: [UNREACHABLE], set_acls: { 'CN=principal': ['ALL'] } } },
  'zookeeper.auth_data': { etcd3: null, zookeeper: { hosts: [UNREACHABLE], auth_data: { digest: 'user:password' } } },
};

/** Placeholders of the table (`PATRONI_ETCD_<KEY>`) as sample names. */
const sampleName = (key: string): string => key.replace(/<([A-Z]+)>/g, '$1');

function load(sample: Sample, mode: 'validate' | 'run') {
  const text = JSON.stringify(mergeConfig(BASE, sample.config ?? {}));
  return loadConfig([{ file: 'settings.yml', text }], { env: sample.env ?? {}, mode });
}

/** Builds the DCS adapter the agent would build for this configuration, and closes it again. */
async function startDcs(config: PatroniConfig): Promise<void> {
  const timings = { ttl: 30, loop_wait: 10, retry_timeout: 10 };
  const dcs = config.zookeeper !== undefined
    ? createZooKeeperDcs(toZooKeeperSettings(config, timings))
    : config.consul !== undefined
      ? createConsulDcs(toConsulSettings(config, timings))
      : createEtcdDcs(toEtcdSettings(config, timings));
  await dcs.close();
}

/** The object schema under optional/default/effects wrappers, or undefined. */
function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  let current = schema as { _def?: Record<string, unknown>; shape?: Record<string, unknown> } | undefined;
  for (let depth = 0; depth < 10 && current !== undefined; depth++) {
    if (current._def?.['typeName'] === 'ZodObject') return current.shape;
    const def = current._def ?? {};
    current = (def['innerType'] ?? def['schema'] ?? def['in']) as typeof current;
  }
  return undefined;
}

/** A schema key is listed when a row names it, or names something under it (`postgresql.authentication.superuser`). */
const listed = (key: string, keys: ReadonlySet<string> = allKeys): boolean => [...keys].some((row) => row === key || row.startsWith(`${key}.`));

describe('SETTINGS.md', () => {
  it('is a table of rows that each name a key and start their status with a known word', () => {
    expect(rows.length).toBeGreaterThan(100);
    for (const row of rows) {
      expect(row.keys.length, `SETTINGS.md:${row.line} names no key`).toBeGreaterThan(0);
      expect(statusOf(row), `SETTINGS.md:${row.line}: status "${row.status}" starts with none of ${STATUSES.join(', ')}`).not.toBe('');
    }
  });

  const refusedKeys = rows.filter((row) => statusOf(row) === 'refused:').flatMap((row) => row.keys);
  it('has refused rows (the parser found them)', () => {
    expect(refusedKeys).toContain('citus');
  });
  for (const key of refusedKeys) {
    it(`refused: ${key} is refused by --validate-config and by the agent's start-up`, () => {
      const sample = REFUSED_SAMPLES[sampleName(key)];
      expect(sample, `add a sample value for ${key} to REFUSED_SAMPLES`).toBeDefined();
      if (sample === undefined) return;
      for (const mode of ['validate', 'run'] as const) {
        const result = load(sample, mode);
        const paths = result.ok ? [] : result.issues.filter((issue) => issue.severity === 'error').map((issue) => issue.path);
        const path = sample.path ?? key;
        expect(paths.some((found) => found === path || found.startsWith(`${path}.`)), `${mode}: no error names ${path} (errors: ${paths.join(', ') || 'none'})`).toBe(true);
      }
    });
  }

  const refusedAtStart = rows.filter((row) => statusOf(row) === 'refused at start:').flatMap((row) => row.keys);
  it('has refused-at-start rows (the parser found them)', () => {
    expect(refusedAtStart).toContain('etcd3.srv');
  });
  for (const key of refusedAtStart) {
    it(`refused at start: ${key} passes loadConfig but stops the DCS adapter, by name`, async () => {
      const sample = REFUSED_AT_START_SAMPLES[key];
      expect(sample, `add a sample value for ${key} to REFUSED_AT_START_SAMPLES`).toBeDefined();
      if (sample === undefined) return;
      const result = load({ config: sample }, 'validate');
      // Once loadConfig refuses it too, the row should say `refused`.
      expect(result.ok, `loadConfig refuses ${key}: mark its row "refused:"`).toBe(true);
      if (!result.ok) return;
      const error = await startDcs(result.config).then(() => undefined, (caught: unknown) => caught);
      expect(error, `the adapter accepted ${key}`).toBeInstanceOf(PgwardenError);
      expect((error as Error).message).toContain(key);
    });
  }

  it('lists every top-level key and every section key of the configuration schema', () => {
    const top = shapeOf(configSchema) ?? {};
    expect(Object.keys(top)).toContain('postgresql');
    const missing: string[] = [];
    for (const [name, section] of Object.entries(top)) {
      if (!listed(name)) missing.push(name);
      for (const key of Object.keys(shapeOf(section) ?? {})) if (!listed(`${name}.${key}`)) missing.push(`${name}.${key}`);
    }
    expect(missing).toEqual([]);
  });

  it('lists every key of the dynamic configuration schema in the dynamic section (or as pgwarden only)', () => {
    const dynamicKeys = new Set(rows.filter((row) => row.section.startsWith('Dynamic') || statusOf(row) === 'pgwarden only').flatMap((row) => row.keys));
    const missing = Object.keys(shapeOf(dynamicConfigSchema) ?? {}).filter((key) => !listed(key, dynamicKeys));
    expect(missing).toEqual([]);
  });
});
