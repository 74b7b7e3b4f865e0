/**
 * Endpoint discovery (Patroni's default without use_proxies): configured
 * with one member of a three-node etcd, the adapter learns the others from
 * the member list and keeps working when the configured one stops.
 */
import { describe, expect, it } from 'vitest';
import type { EtcdDcs } from '../src/index.js';
import { useThreeNodeEtcd } from './etcd-harness.js';

const timings = { ttlSeconds: 4, loopWaitSeconds: 1, retryTimeoutSeconds: 2 };

describe('etcd endpoint discovery', () => {
  const three = useThreeNodeEtcd();

  it('one configured member: the others are discovered and carry on when it stops', async () => {
    const dcs = three.open({ hosts: three.etcd().endpoints[0]!, scope: 'discovery', name: 'node1', ...timings });
    expect((await dcs.acquireLeader()).kind).toBe('held');
    const deadline = Date.now() + 3000;
    while (dcs.knownEndpoints.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect([...dcs.knownEndpoints].sort()).toEqual([...three.etcd().endpoints].sort());
    await three.etcd().nodes[0]!.stop('SIGKILL');
    try {
      expect((await dcs.updateLeader({ lastLsn: 10 })).kind).toBe('held');
      const cluster = await dcs.getCluster();
      expect(cluster.ok && cluster.value.leader?.name).toBe('node1');
    } finally {
      await three.etcd().nodes[0]!.start();
    }
  });

  it('use_proxies: true keeps to the configured endpoints', async () => {
    const dcs = three.open({ hosts: three.etcd().endpoints[1]!, use_proxies: true, scope: 'discovery-2', name: 'node1', ...timings });
    expect((await dcs.getCluster()).ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(dcs.knownEndpoints).toEqual([three.etcd().endpoints[1]]);
  });
});
