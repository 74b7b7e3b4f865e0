/**
 * The DCS stopped for longer than ttl (spec/ha-loop.md §10). Without
 * failsafe mode the primary demotes itself before a replica could take the
 * lock; with failsafe mode and every member reachable it keeps running as
 * primary. When etcd returns, the cluster is back to one leader and two
 * streaming replicas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgwardenCluster, waitUntil, type PgwardenCluster } from '@pgwarden/testkit';
import { transcripts, waitForFailsafeList, writablePrimaries } from './helpers.js';

const ttlSeconds = 20;

describe('the DCS stopped for longer than ttl', () => {
  let cluster: PgwardenCluster;

  beforeAll(async () => {
    cluster = await startPgwardenCluster({ size: 3, ttl: ttlSeconds, loopWait: 2, retryTimeout: 5 });
    await cluster.waitForLeader({ timeoutMs: 90_000 });
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 90_000 });
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  it('without failsafe_mode the primary stops being writable within ttl, and the cluster heals when etcd is back', async () => {
    const leader = await cluster.waitForLeader();
    const etcd = cluster.etcd.nodes[0]!;
    await etcd.stop();
    const stoppedAt = Date.now();
    await waitUntil(async () => (await writablePrimaries(cluster)).length === 0, {
      timeoutMs: ttlSeconds * 1000 + 15_000,
      intervalMs: 250,
      what: () => `the primary ${leader.name} to demote\n${transcripts(cluster.members, 15)}`,
    });
    expect(Date.now() - stoppedAt).toBeLessThan(ttlSeconds * 1000 + 5000);
    await etcd.start();
    const healed = await cluster.waitForLeader({ timeoutMs: 90_000 });
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 90_000 });
    const writable = await waitUntil(async () => {
      const primaries = await writablePrimaries(cluster);
      return primaries.length > 0 ? primaries : undefined;
    }, { timeoutMs: 30_000, what: 'a writable primary after the outage' });
    expect(writable.map((member) => member.name)).toEqual([healed.name]);
  }, 240_000);

  it('with failsafe_mode and every member reachable the primary keeps running through the outage', async () => {
    const leader = await cluster.waitForLeader();
    const patched = await leader.request('PATCH', '/config', { failsafe_mode: true });
    expect(patched.status, patched.body).toBe(200);
    // The leader publishes /failsafe (every member's api_url) on its next cycles.
    await waitForFailsafeList(leader, 3);
    const etcd = cluster.etcd.nodes[0]!;
    await etcd.stop();
    const until = Date.now() + ttlSeconds * 1000 + 10_000;
    while (Date.now() < until) {
      const writable = await writablePrimaries(cluster);
      expect(writable.map((member) => member.name), transcripts(cluster.members, 15)).toEqual([leader.name]);
      // Load balancers keep routing writes to it: its REST API still says primary (after ttl too).
      expect((await leader.request('GET', '/primary')).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await etcd.start();
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 90_000 });
    expect((await cluster.waitForLeader()).name).toBe(leader.name);
  }, 240_000);
});
