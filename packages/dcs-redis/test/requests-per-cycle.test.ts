/**
 * How many Redis requests one member makes per HA cycle in a healthy
 * cluster, counted by the adapter. A cycle is what the daemon does: read the
 * cluster, refresh the lock (leader) and publish the member key. The numbers
 * are printed; the assertions pin the structure: one script call per
 * operation, status and failsafe ride in the lock script.
 */
import { startRedis, type RedisServer } from '@pgwarden/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisDcs } from '../src/index.js';
import { openOn } from './redis-harness.js';

describe('redis requests per cycle (healthy standalone server)', () => {
  let server: RedisServer;
  const opened: RedisDcs[] = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(opened.map((dcs) => dcs.close()));
    await server?.destroy();
  });

  it('leader: 3 requests per cycle (read, lock+status, member); replica: 2 (read, member)', async () => {
    const timings = { ttlSeconds: 3, loopWaitSeconds: 0.3, retryTimeoutSeconds: 1 };
    const leader = openOn(server, { scope: 'per-cycle', name: 'node1', ...timings });
    const replica = openOn(server, { scope: 'per-cycle', name: 'node2', ...timings });
    opened.push(leader, replica);
    expect((await leader.acquireLeader()).kind).toBe('held');
    await replica.getCluster();
    const counts = { leader: [] as number[], replica: [] as number[] };
    let lsn = 1000;
    for (let cycle = 0; cycle < 6; cycle++) {
      lsn += cycle % 2 === 0 ? 4096 : 0;
      await new Promise((resolve) => setTimeout(resolve, timings.loopWaitSeconds * 1000));
      leader.resetRequestCounts();
      expect((await leader.getCluster()).ok).toBe(true);
      expect((await leader.updateLeader({ lastLsn: lsn, failsafe: { node1: 'http://a', node2: 'http://b' } })).kind).toBe('held');
      expect((await leader.touchMember({ state: 'running', role: 'primary', xlog_location: lsn })).ok).toBe(true);
      replica.resetRequestCounts();
      expect((await replica.getCluster()).ok).toBe(true);
      expect((await replica.touchMember({ state: 'running', role: 'replica', xlog_location: lsn })).ok).toBe(true);
      counts.leader.push(leader.requestCounts().total);
      counts.replica.push(replica.requestCounts().total);
    }
    process.stdout.write(`redis requests per cycle: ${JSON.stringify(counts)}\n`);
    expect(new Set(counts.leader)).toEqual(new Set([3]));
    expect(new Set(counts.replica)).toEqual(new Set([2]));
  });
});
