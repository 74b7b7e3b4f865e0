/**
 * The server under the adapter: stopped and restarted with its data (the
 * lock survives on the append-only file), restarted having lost its data
 * (the lock must not be reported held afterwards), frozen with SIGSTOP
 * (operations are unreachable within retry_timeout, never lost), and the
 * leader key expiring with keyspace notifications off (the watch's expiry
 * probe wakes the replica).
 */
import { startRedis, type RedisServer } from '@pgwarden/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisDcs } from '../src/index.js';
import { openOn, rawClient } from './redis-harness.js';

describe('redis-server stopped, restarted, wiped and frozen under the adapter', () => {
  let server: RedisServer;
  const opened: RedisDcs[] = [];
  const open = (scope: string, name: string, timings: Record<string, number> = {}): RedisDcs => {
    const dcs = openOn(server, { scope, name, ...timings });
    opened.push(dcs);
    return dcs;
  };
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    server?.thaw();
    await Promise.all(opened.map((dcs) => dcs.close()));
    await server?.destroy();
  });

  it('a restart that kept its data: the lock is still held and renewable by its owner', async () => {
    const dcs = open('kept', 'node1', { ttlSeconds: 20 });
    expect((await dcs.acquireLeader()).kind).toBe('held');
    const pid = server.pid();
    await server.stop();
    expect(server.running()).toBe(false);
    await server.start();
    expect(server.pid()).not.toBe(pid);
    const outcome = await dcs.updateLeader({ lastLsn: 10 });
    expect(outcome.kind).toBe('held');
    const cluster = await dcs.getCluster();
    expect(cluster.ok && cluster.value.leader?.name).toBe('node1');
  });

  it('a restart that lost its data: the lock is not still held, the owner learns it is gone', async () => {
    const owner = open('wiped', 'node1', { ttlSeconds: 20 });
    const other = open('wiped', 'node2', { ttlSeconds: 20 });
    expect((await owner.acquireLeader()).kind).toBe('held');
    expect((await owner.setConfig({ ttl: 20 })).ok).toBe(true);
    await server.stop('SIGKILL');
    await server.start({ loseData: true });
    const raw = rawClient(server);
    try {
      expect(await raw.dbsize()).toBe(0);
    } finally {
      raw.disconnect();
    }
    const outcome = await owner.updateLeader({ lastLsn: 10 });
    expect(outcome).toEqual({ kind: 'lost' });
    const cluster = await other.getCluster();
    expect(cluster.ok && cluster.value.leader).toBeUndefined();
    // Versions keep growing across the loss (the counter is re-seeded from the server clock): a stale CAS cannot match.
    expect((await other.acquireLeader()).kind).toBe('held');
    expect((await owner.acquireLeader())).toEqual({ kind: 'lost', owner: 'node2' });
  });

  it('a frozen server (SIGSTOP): the renewal is unreachable within retry_timeout, then held again after SIGCONT', async () => {
    const dcs = open('frozen', 'node1', { ttlSeconds: 10, retryTimeoutSeconds: 1.5 });
    expect((await dcs.acquireLeader()).kind).toBe('held');
    server.freeze();
    try {
      const started = performance.now();
      const outcome = await dcs.updateLeader({});
      const elapsed = performance.now() - started;
      expect(outcome.kind).toBe('unreachable');
      expect(elapsed).toBeLessThan(1500 + 1000);
      const read = await dcs.getCluster();
      expect(read.ok).toBe(false);
      if (!read.ok) expect(read.reason).toBe('unreachable');
    } finally {
      server.thaw();
    }
    const before = Date.now();
    const again = await dcs.updateLeader({});
    expect(again.kind).toBe('held');
    if (again.kind === 'held') expect(again.renewedAtMs).toBeGreaterThanOrEqual(before);
  });

  it('without keyspace notifications, a replica waiting in watch() wakes when the dead leader’s key expires', async () => {
    const owner = open('expiry', 'node1');
    const replica = open('expiry', 'node2');
    const acquired = await owner.acquireLeader();
    expect(acquired.kind).toBe('held');
    expect((await replica.getCluster()).ok).toBe(true);
    await replica.watch(0);
    // The owner stops renewing (it died): only the expiry can wake the replica.
    const woken = await replica.watch(8000);
    expect(woken).toBe(true);
    const cluster = await replica.getCluster();
    expect(cluster.ok && cluster.value.leader).toBeUndefined();
    if (acquired.kind === 'held') process.stdout.write(`expiry noticed ${Date.now() - acquired.renewedAtMs} ms after the last renewal (ttl 2000 ms)\n`);
  });
});
