/**
 * pgwardenctl on a Redis DCS that requires what a production one would: an
 * ACL user with a password (the default user disabled) and TLS only, with
 * client certificates (tls-auth-clients yes). The cluster is written by the
 * real Redis adapter; ctl reads it through the file's `redis` section.
 */
import { createRedisDcs, type RedisDcs } from '@pgwarden/dcs-redis';
import { makeTempDir, makeTestCertificates, startRedis, type RedisServer, type TempDir, type TestCertificates } from '@pgwarden/testkit';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ctl } from './helpers/run-ctl.js';

const USER = { name: 'pgwarden', password: 'ctl-acl-s3cret' };
let certificates: TestCertificates;
let server: RedisServer;
let temp: TempDir;
let writer: RedisDcs | undefined;

function redisSection(password: string): Record<string, unknown> {
  return {
    host: `127.0.0.1:${server.port}`,
    username: USER.name,
    password,
    cacert: certificates.caFile,
    cert: certificates.clientCertFile,
    key: certificates.clientKeyFile,
  };
}

function configFile(name: string, password: string): string {
  const file = join(temp.path, name);
  writeFileSync(file, stringify({ scope: 'secure', retry_timeout: 2, redis: redisSection(password) }));
  return file;
}

beforeAll(async () => {
  certificates = makeTestCertificates();
  temp = makeTempDir('ctl-redis');
  server = await startRedis({
    users: [USER],
    defaultUser: 'off',
    tls: {
      certFile: certificates.serverCertFile,
      keyFile: certificates.serverKeyFile,
      caFile: certificates.caFile,
      clientCertFile: certificates.clientCertFile,
      clientKeyFile: certificates.clientKeyFile,
      authClients: 'yes',
    },
  });
  writer = createRedisDcs({ ...redisSection(USER.password), scope: 'secure', name: 'node1', ttlSeconds: 600, retryTimeoutSeconds: 5, watch: false });
  await writer.initialize({ createNew: true, sysid: '7380236651356719834' });
  expect(await writer.setConfig({ ttl: 30, loop_wait: 10, retry_timeout: 10 })).toMatchObject({ ok: true });
  expect(await writer.touchMember({ api_url: 'http://127.0.0.1:1/patroni', conn_url: 'postgres://127.0.0.1:6001/postgres', state: 'running', role: 'primary', timeline: 1 })).toMatchObject({ ok: true });
  expect(await writer.acquireLeader()).toMatchObject({ kind: 'held' });
});

afterAll(async () => {
  await writer?.close();
  await server?.destroy();
  temp?.remove();
  certificates?.dir.remove();
});

describe('pgwardenctl with a redis section: ACL user, password, TLS with a client certificate', () => {
  it('list and show-config read the cluster', async () => {
    expect(server.url).toMatch(/^rediss:/);
    const file = configFile('ctl.yaml', USER.password);
    const list = await ctl(['-c', file, 'list', '-f', 'json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([{ Cluster: 'secure', Member: 'node1', Role: 'Leader' }]);
    const config = await ctl(['-c', file, 'show-config']);
    expect(config.code, config.stderr).toBe(0);
    expect(parse(config.stdout)).toEqual({ ttl: 30, loop_wait: 10, retry_timeout: 10 });
  });

  it('the same settings from PATRONI_REDIS_* work', async () => {
    const file = join(temp.path, 'scope-only.yaml');
    writeFileSync(file, 'scope: secure\nretry_timeout: 2\n');
    const env = Object.fromEntries(Object.entries(redisSection(USER.password)).map(([key, value]) => [`PATRONI_REDIS_${key.toUpperCase()}`, String(value)]));
    const run = await ctl(['-c', file, 'show-config'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(parse(run.stdout)).toMatchObject({ ttl: 30 });
  });

  it('a wrong password fails in one line naming the authentication failure', async () => {
    const run = await ctl(['-c', configFile('wrong.yaml', 'not-the-password'), 'list']);
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/authentication failed \(WRONGPASS/);
  });
});
