/**
 * The etcd3 section's security options against a real etcd: username and
 * password (auth enabled, a user limited to the /service/ prefix), and TLS
 * with a private CA and client certificates.
 */
import { makeTestCertificates, startEtcd, type EtcdCluster, type TestCertificates } from '@pgwarden/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { EtcdDcs } from '../src/index.js';
import { enableAuth, invalidateAuthTokens } from './etcd-gateway.js';

const timings = { ttlSeconds: 3, loopWaitSeconds: 1, retryTimeoutSeconds: 2 };

describe('etcd3 security options', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const track = <T extends { close(): unknown }>(value: T): T => {
    cleanups.push(async () => {
      await value.close();
    });
    return value;
  };

  it('username/password: a user limited to the cluster prefix holds the lock; a wrong password is unreachable, never lost', async () => {
    const etcd: EtcdCluster = await startEtcd();
    cleanups.push(() => etcd.stop());
    await enableAuth(etcd.endpoints[0]!, { name: 'pgwarden', password: 's3cret', prefix: '/service/' });

    const dcs = track(new EtcdDcs({ hosts: [...etcd.endpoints], scope: 'auth', name: 'node1', username: 'pgwarden', password: 's3cret', ...timings }));
    expect((await dcs.acquireLeader()).kind).toBe('held');
    expect((await dcs.touchMember({ state: 'running' })).ok).toBe(true);
    const cluster = await dcs.getCluster();
    expect(cluster.ok && cluster.value.leader?.name).toBe('node1');

    const intruder = track(new EtcdDcs({ hosts: [...etcd.endpoints], scope: 'auth', name: 'node2', username: 'pgwarden', password: 'wrong', ...timings }));
    const started = performance.now();
    const outcome = await intruder.acquireLeader();
    expect(outcome.kind).toBe('unreachable');
    expect(performance.now() - started).toBeLessThan(timings.retryTimeoutSeconds * 1000 + 1500);
    const read = await intruder.getCluster();
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.message).not.toContain('wrong');
  });

  it('an auth token etcd no longer accepts is renewed once and the request repeated: the write succeeds', async () => {
    const etcd: EtcdCluster = await startEtcd();
    cleanups.push(() => etcd.stop());
    await enableAuth(etcd.endpoints[0]!, { name: 'pgwarden', password: 's3cret', prefix: '/service/' });
    const dcs = track(new EtcdDcs({ hosts: [...etcd.endpoints], scope: 'token', name: 'node1', username: 'pgwarden', password: 's3cret', ...timings }));
    expect((await dcs.setConfig({ ttl: 30 })).ok).toBe(true);
    expect(dcs.requestCounts().byOperation['authenticate']).toBe(1);

    await invalidateAuthTokens(etcd.endpoints[0]!);
    dcs.resetRequestCounts();
    expect((await dcs.setConfig({ ttl: 31 })).ok).toBe(true);
    // put refused ("invalid auth token"), authenticate, put again — on the same endpoint, in one attempt.
    expect(dcs.requestCounts().byOperation).toMatchObject({ authenticate: 1, put: 2 });
    const cluster = await dcs.getCluster();
    expect(cluster.ok && cluster.value.config?.data).toEqual({ ttl: 31 });
  });

  it('TLS with a private CA and a client certificate: protocol https, cacert, cert, key', async () => {
    const certificates: TestCertificates = makeTestCertificates();
    cleanups.push(() => certificates.dir.remove());
    const etcd = await startEtcd({
      tls: {
        caFile: certificates.caFile,
        certFile: certificates.serverCertFile,
        keyFile: certificates.serverKeyFile,
        clientCertAuth: true,
        clientCertFile: certificates.clientCertFile,
        clientKeyFile: certificates.clientKeyFile,
      },
    });
    cleanups.push(() => etcd.stop());
    const hosts = etcd.endpoints.map((url) => url.replace('https://', ''));
    const dcs = track(
      new EtcdDcs({
        hosts,
        protocol: 'https',
        cacert: certificates.caFile,
        cert: certificates.clientCertFile,
        key: certificates.clientKeyFile,
        scope: 'tls',
        name: 'node1',
        ...timings,
      }),
    );
    expect(dcs.endpoints[0]).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await dcs.acquireLeader()).kind).toBe('held');
    const cluster = await dcs.getCluster();
    expect(cluster.ok && cluster.value.leader?.name).toBe('node1');

    const withoutClientCertificate = track(new EtcdDcs({ hosts, protocol: 'https', cacert: certificates.caFile, scope: 'tls', name: 'node2', ...timings }));
    expect((await withoutClientCertificate.acquireLeader()).kind).toBe('unreachable');
  });
});
