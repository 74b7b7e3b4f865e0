/**
 * Every variant the generator can produce is run through the real
 * `haproxy -c` (Debian's HAProxy 2.6): a render is only useful if HAProxy
 * loads it.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '@pgwarden/testkit';
import { checkHaproxyConfig, renderHaproxyConfig, type HaproxyOptionsInput } from '../src/index.js';
import { cluster, member } from './support/cluster.js';
import type { Cluster } from '@pgwarden/core';

let dir: TempDir;
let caFile: string;

beforeAll(() => {
  dir = makeTempDir('haproxy-gen-accepts');
  caFile = join(dir.path, 'ca.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir.path, 'ca.key'), '-out', caFile, '-days', '2', '-subj', '/CN=pgwarden test CA'], { stdio: 'ignore' });
});
afterAll(() => dir.remove());

const three = cluster(member('node1', '127.0.0.1', { apiPort: 8008 }), member('node2', '127.0.0.2'), member('node3', '127.0.0.3'));

const variants: Array<[string, () => Cluster, () => HaproxyOptionsInput]> = [
  ['primary only', () => three, () => ({ replicas: false })],
  ['primary and replicas', () => three, () => ({})],
  ['replicas with a lag bound and filters', () => three, () => ({ replicas: { port: 5001, maxLag: '16MB', requireStreaming: true, tags: { dc: 'eu' } } })],
  ['sync and async backends', () => three, () => ({ sync: { port: 5002, maxLag: 1048576 }, async: { port: 5003 } })],
  ['TLS health checks with a CA', () => cluster(member('s1', '127.0.0.1', { apiScheme: 'https' }), member('s2', '127.0.0.2')), () => ({ restApiTls: { caFile, verifyHost: 'localhost' } })],
  ['TLS health checks without verification', () => cluster(member('s1', '127.0.0.1', { apiScheme: 'https' })), () => ({ restApiTls: { verify: 'none' } })],
  ['stats on, with auth and Prometheus', () => three, () => ({ stats: { port: 7000, auth: { username: 'ops', password: 'pw' }, prometheus: true } })],
  ['stats off', () => three, () => ({ stats: false })],
  ['empty cluster', () => cluster(), () => ({})],
  ['IPv6 member', () => cluster(member('v6', '::1'), member('v4', '127.0.0.1')), () => ({ bindAddress: '::' })],
  ['noloadbalance member', () => cluster(member('a', '127.0.0.1'), member('b', '127.0.0.2', { tags: { noloadbalance: true } })), () => ({ sync: { port: 5002 } })],
  ['standby cluster: read-write route checks /standby-leader', () => three, () => ({ primary: { port: 5000, endpoint: 'standby-leader' } })],
  ['server states kept across reloads', () => three, () => ({ adminSocket: join(dir.path, 'admin2.sock'), serverStateFile: join(dir.path, 'state') })],
  ['host names in conn_url', () => cluster(member('dns', 'localhost')), () => ({})],
  ['admin socket, hard-stop-after, log, bound address', () => three, () => ({ adminSocket: join(dir.path, 'admin.sock'), hardStopAfter: '1h', log: '127.0.0.1:514 local0', bindAddress: '127.0.0.1' })],
];

describe('haproxy -c accepts every generated variant', () => {
  it.each(variants)('%s', async (name, makeCluster, makeOptions) => {
    const path = join(dir.path, `${name.replace(/\W+/g, '-')}.cfg`);
    writeFileSync(path, renderHaproxyConfig(makeCluster(), makeOptions()));
    const verdict = await checkHaproxyConfig(path);
    expect(verdict.messages.filter((message) => message.startsWith('[ALERT]'))).toEqual([]);
    expect(verdict.ok).toBe(true);
  });

  it('reports what HAProxy refused, naming the line', async () => {
    const path = join(dir.path, 'refused.cfg');
    writeFileSync(path, renderHaproxyConfig(three, { extraDefaults: ['option no-such-option'] }));
    const verdict = await checkHaproxyConfig(path, { displayName: 'new.cfg' });
    expect(verdict.ok).toBe(false);
    expect(verdict.messages.join('\n')).toMatch(/new\.cfg:\d+.*no-such-option/);
  });
});
