/**
 * ZooKeeper requests per member per healthy cycle, measured on a real server
 * (printed, not asserted against a target): a three-member cluster with the
 * keys a running cluster has (initialize, config, history, status, leader,
 * three members); each cycle is what the agent does — read the cluster,
 * touch the member key (unchanged), and for the leader refresh the lock with
 * an unchanged status. What is asserted is the shape: an unchanged member
 * key costs no request, and a cycle never sends more than one read per key.
 */
import { startZooKeeper, type ZooKeeperEnsemble } from '@pgwarden/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ZooKeeperDcs } from '../src/index.js';

const timings = { ttlSeconds: 30, loopWaitSeconds: 10, retryTimeoutSeconds: 10 };
let ensemble: ZooKeeperEnsemble | undefined;
const members: ZooKeeperDcs[] = [];

beforeAll(async () => {
  ensemble = await startZooKeeper({ size: 1 });
});
afterAll(async () => {
  await Promise.all(members.map((dcs) => dcs.close()));
  await ensemble?.stop();
});

it('a healthy cycle costs a read of every key plus one lock check on the leader', async () => {
  for (const name of ['node1', 'node2', 'node3']) members.push(new ZooKeeperDcs({ hosts: ensemble!.connectionString, scope: 'cycle', name, ...timings }));
  const [leader, replica] = members as [ZooKeeperDcs, ZooKeeperDcs, ZooKeeperDcs];
  expect((await leader.initialize({ createNew: true, sysid: '7380236651356719834' })).ok).toBe(true);
  expect((await leader.setConfig({ ttl: 30, loop_wait: 10 })).ok).toBe(true);
  expect((await leader.setHistory([])).ok).toBe(true);
  expect((await leader.acquireLeader()).kind).toBe('held');
  for (const dcs of members) expect((await dcs.touchMember({ state: 'running', role: dcs === leader ? 'primary' : 'replica' })).ok).toBe(true);
  expect((await leader.updateLeader({ lastLsn: 1000 })).kind).toBe('held');
  const cycle = async (dcs: ZooKeeperDcs): Promise<void> => {
    expect((await dcs.getCluster()).ok).toBe(true);
    expect((await dcs.touchMember({ state: 'running', role: dcs === leader ? 'primary' : 'replica' })).ok).toBe(true);
    if (dcs === leader) expect((await dcs.updateLeader({ lastLsn: 1000 })).kind).toBe('held');
  };
  const cycles = 5;
  for (const dcs of members) dcs.resetRequestCounts();
  for (let index = 0; index < cycles; index++) for (const dcs of members) await cycle(dcs);
  const leaderCounts = leader.requestCounts();
  const replicaCounts = replica.requestCounts();
  console.log(
    `zookeeper requests per cycle: leader ${leaderCounts.total / cycles} ${JSON.stringify(leaderCounts.byOperation)}, ` +
      `replica ${replicaCounts.total / cycles} ${JSON.stringify(replicaCounts.byOperation)} (over ${cycles} cycles)`,
  );
  // 2 child lists + initialize, config, history, leader, status + 3 members = 10 reads; the leader adds 1 lock check.
  expect(replicaCounts.total / cycles).toBe(10);
  expect(leaderCounts.total / cycles).toBe(11);
  expect(replicaCounts.byOperation['setData'] ?? 0).toBe(0);
});
