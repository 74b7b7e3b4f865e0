/**
 * How many HTTP requests one HA cycle costs (against the Consul MODEL, not a
 * real Consul): getCluster, the lock refresh or member touch, and a watch
 * that times out. Printed for the report; bounded loosely so that a change
 * that doubles the traffic of every cycle fails here.
 */
import { startConsulModel, type ConsulModel } from '@pgwarden/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConsulDcs } from '../src/index.js';

let model: ConsulModel;
beforeAll(async () => {
  model = await startConsulModel({ sessionTtlMinMs: 1000 });
});
afterAll(async () => {
  await model.close();
});

const timings = { ttlSeconds: 4, loopWaitSeconds: 0.2, retryTimeoutSeconds: 2 };

async function cycle(dcs: ConsulDcs, role: 'leader' | 'replica', state: string): Promise<void> {
  expect((await dcs.getCluster()).ok).toBe(true);
  if (role === 'leader') expect((await dcs.updateLeader({ lastLsn: 1000 })).kind).toBe('held');
  expect((await dcs.touchMember({ state, role })).ok).toBe(true);
  await dcs.watch(timings.loopWaitSeconds * 1000);
}

it('a steady leader cycle and a steady replica cycle stay within a few requests', async () => {
  const leader = new ConsulDcs({ url: model.url, scope: 'cycle', name: 'node1', ...timings });
  const replica = new ConsulDcs({ url: model.url, scope: 'cycle', name: 'node2', ...timings });
  try {
    expect((await leader.acquireLeader()).kind).toBe('held');
    // Warm up: the first cycles write member keys and status.
    for (let round = 0; round < 2; round++) await Promise.all([cycle(leader, 'leader', 'running'), cycle(replica, 'replica', 'running')]);
    const counts: Record<string, number> = {};
    for (const [dcs, role] of [[leader, 'leader'], [replica, 'replica']] as const) {
      model.requests.length = 0;
      await cycle(dcs, role, 'running');
      counts[role] = model.requests.length;
      process.stdout.write(`consul ${role} steady cycle: ${model.requests.length} requests: ${model.requests.map((request) => `${request.method} ${request.path}${request.query ? `?${request.query}` : ''}`).join(', ')}\n`);
    }
    // leader: read + renew + read leader key + watch; replica: read + renew + watch.
    expect(counts['leader']).toBeLessThanOrEqual(5);
    expect(counts['replica']).toBeLessThanOrEqual(4);
  } finally {
    await leader.close();
    await replica.close();
  }
});
