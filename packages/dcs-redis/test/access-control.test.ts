/**
 * The `redis` section's credentials and TLS on a real redis-server: an ACL
 * user with a password (default user disabled), TLS only (no plain-text
 * port) with the throw-away CA of makeTestCertificates(), and client
 * certificates required. A failure to log in or to trust the server is
 * `unreachable` (never `lost`) with a message naming the cause.
 */
import type { DcsResult, LockOutcome } from '@pgwarden/core';
import { makeTestCertificates, startRedis, type RedisServer, type StartRedisOptions, type TestCertificates } from '@pgwarden/testkit';
import { Redis, type RedisOptions } from 'ioredis';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisDcs, clusterKeys, type RedisDcsOptions } from '../src/index.js';
import { contractTimings } from './redis-harness.js';

const USER = { name: 'pgwarden', password: 'acl-s3cret' };
const acl: StartRedisOptions = { users: [USER], defaultUser: 'off' };
const opened: RedisDcs[] = [];

function open(server: RedisServer, settings: Partial<RedisDcsOptions> & { readonly scope: string; readonly name: string }): RedisDcs {
  const dcs = new RedisDcs({ host: `${server.host}:${server.port}`, ...contractTimings, ...settings });
  opened.push(dcs);
  return dcs;
}

/** One command on a plain ioredis client: its reply, or the error message (and the connection's, e.g. a failed AUTH). */
async function rawCommand(server: RedisServer, options: RedisOptions, command: (client: Redis) => Promise<unknown>): Promise<unknown> {
  const client = new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true, enableReadyCheck: false, ...options });
  let connectionError = '';
  client.on('error', (error: Error) => {
    connectionError = ` (${error.message})`;
  });
  try {
    await client.connect();
    return await command(client);
  } catch (error) {
    return `${error instanceof Error ? error.message : String(error)}${connectionError}`;
  } finally {
    client.disconnect();
  }
}

function expectUnreachable(outcome: LockOutcome | DcsResult<unknown>, cause: RegExp): void {
  if ('kind' in outcome) {
    expect(outcome).toMatchObject({ kind: 'unreachable', message: expect.stringMatching(cause) });
  } else {
    expect(outcome).toMatchObject({ ok: false, reason: 'unreachable', message: expect.stringMatching(cause) });
  }
}

/** acquire, a second member refused, renew, lose it when the key disappears, CAS on /config, getCluster. */
async function exerciseLockAndConfig(server: RedisServer, settings: Partial<RedisDcsOptions>, raw: RedisOptions, scope: string): Promise<void> {
  const node1 = open(server, { ...settings, scope, name: 'node1' });
  const node2 = open(server, { ...settings, scope, name: 'node2' });
  expect(await node1.acquireLeader()).toMatchObject({ kind: 'held' });
  expect(await node2.acquireLeader()).toEqual({ kind: 'lost', owner: 'node1' });
  expect(await node1.updateLeader({})).toMatchObject({ kind: 'held' });
  expect(await node1.setConfig({ ttl: 20 })).toEqual({ ok: true, value: undefined });
  const read = await node2.getCluster();
  if (!read.ok) throw new Error(read.message);
  expect(read.value.leader?.name).toBe('node1');
  expect(read.value.config?.data).toEqual({ ttl: 20 });
  const version = read.value.config?.version ?? -1;
  expect(await node2.setConfig({ ttl: 25 }, version)).toMatchObject({ ok: true });
  expect(await node1.setConfig({ ttl: 30 }, version)).toMatchObject({ ok: false, reason: 'conflict' });
  expect(await rawCommand(server, raw, (client) => client.del(clusterKeys('/service/', scope).key('leader')))).toBe(1);
  expect(await node1.updateLeader({})).toEqual({ kind: 'lost' });
  // watch() subscribes on a second connection: it logged in (and did TLS) as well.
  const clients = String(await rawCommand(server, raw, (client) => client.client('LIST')));
  expect(clients.split('\n').filter((line) => / cmd=subscribe /.test(line) && /\buser=pgwarden\b/.test(line)).length).toBeGreaterThanOrEqual(2);
}

afterAll(async () => {
  await Promise.all(opened.map((dcs) => dcs.close()));
});

describe('an ACL user with a password (default user disabled)', () => {
  let server: RedisServer;
  const login = { username: USER.name, password: USER.password };
  beforeAll(async () => {
    server = await startRedis(acl);
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('the server refuses a client that does not log in, and the default user', async () => {
    expect(await rawCommand(server, {}, (client) => client.ping())).toMatch(/NOAUTH/);
    expect(await rawCommand(server, { password: USER.password }, (client) => client.ping())).toMatch(/WRONGPASS/);
    expect(await rawCommand(server, login, (client) => client.ping())).toBe('PONG');
  });

  it('username/password: the lock, CAS on /config and getCluster work', async () => {
    await exerciseLockAndConfig(server, login, login, 'acl');
  });

  it('the same credentials in a redis:// url work', async () => {
    const dcs = open(server, { host: undefined, url: `redis://${USER.name}:${encodeURIComponent(USER.password)}@127.0.0.1:${server.port}/0`, scope: 'acl-url', name: 'node1' });
    expect(await dcs.acquireLeader()).toMatchObject({ kind: 'held' });
  });

  it('a wrong password is unreachable (never lost), naming the failed authentication', async () => {
    const holder = open(server, { ...login, scope: 'acl-wrong', name: 'node1' });
    expect(await holder.acquireLeader()).toMatchObject({ kind: 'held' });
    const wrong = open(server, { username: USER.name, password: 'not-the-password', retryTimeoutSeconds: 1, scope: 'acl-wrong', name: 'node1' });
    expectUnreachable(await wrong.updateLeader({}), /authentication failed \(WRONGPASS .*\): check redis.username and redis.password/);
    expectUnreachable(await wrong.getCluster(), /authentication failed \(WRONGPASS/);
    const anonymous = open(server, { retryTimeoutSeconds: 1, scope: 'acl-wrong', name: 'node2' });
    expectUnreachable(await anonymous.acquireLeader(), /requires authentication \(NOAUTH/);
  });
});

describe('TLS only (no plain-text port), with the ACL user', () => {
  let certificates: TestCertificates;
  let server: RedisServer;
  let mutual: RedisServer;
  const login = { username: USER.name, password: USER.password };
  beforeAll(async () => {
    certificates = makeTestCertificates();
    const tls = { certFile: certificates.serverCertFile, keyFile: certificates.serverKeyFile, caFile: certificates.caFile };
    const client = { clientCertFile: certificates.clientCertFile, clientKeyFile: certificates.clientKeyFile };
    [server, mutual] = await Promise.all([
      startRedis({ ...acl, tls: { ...tls, authClients: 'no' } }),
      startRedis({ ...acl, tls: { ...tls, ...client, authClients: 'yes' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([server?.destroy(), mutual?.destroy()]);
    certificates?.dir.remove();
  });

  const trusted = (): RedisOptions => ({ ...login, tls: { ca: readFileSync(certificates.caFile) } });
  const withClientCert = (): RedisOptions => ({
    ...login,
    tls: { ca: readFileSync(certificates.caFile), cert: readFileSync(certificates.clientCertFile), key: readFileSync(certificates.clientKeyFile) },
  });

  it('the server speaks TLS only, and with tls-auth-clients yes refuses a client without a certificate', async () => {
    expect(server.url).toMatch(/^rediss:/);
    expect(await rawCommand(server, login, (client) => client.ping())).not.toBe('PONG');
    expect(await rawCommand(server, trusted(), (client) => client.ping())).toBe('PONG');
    expect(await rawCommand(mutual, trusted(), (client) => client.ping())).not.toBe('PONG');
    expect(await rawCommand(mutual, withClientCert(), (client) => client.ping())).toBe('PONG');
  });

  it('cacert: the lock, CAS on /config and getCluster work over TLS', async () => {
    await exerciseLockAndConfig(server, { ...login, cacert: certificates.caFile }, trusted(), 'tls');
  });

  it('without the CA the server is not trusted: unreachable, naming the certificate problem', async () => {
    const dcs = open(server, { ...login, ssl: true, retryTimeoutSeconds: 1, scope: 'tls-untrusted', name: 'node1' });
    expectUnreachable(await dcs.acquireLeader(), /TLS certificate is not trusted \(self-signed certificate in certificate chain\): set redis.cacert/);
    expectUnreachable(await dcs.getCluster(), /not trusted/);
  });

  it('plain text to a TLS-only server is unreachable', async () => {
    const dcs = open(server, { ...login, retryTimeoutSeconds: 1, scope: 'tls-plain', name: 'node1' });
    expectUnreachable(await dcs.acquireLeader(), /not connected to 127\.0\.0\.1:\d+: .*(ECONNRESET|Connection is closed|EPIPE)/);
  });

  it('tls-auth-clients yes: without cert/key refused (naming the certificate), with them it works', async () => {
    const anonymous = open(mutual, { ...login, cacert: certificates.caFile, retryTimeoutSeconds: 1, scope: 'mtls', name: 'node2' });
    expectUnreachable(await anonymous.acquireLeader(), /client certificate.*set redis.cert and redis.key/);
    await exerciseLockAndConfig(mutual, { ...login, cacert: certificates.caFile, cert: certificates.clientCertFile, key: certificates.clientKeyFile }, withClientCert(), 'mtls');
  });
});
