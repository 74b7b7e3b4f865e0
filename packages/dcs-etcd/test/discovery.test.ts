/**
 * Endpoint discovery (Patroni's default without use_proxies): configured
 * with one member of a three-node etcd, the adapter learns the others from
 * the member list and keeps working when the configured one stops.
 */
import { describe, expect, it } from 'vitest';
import { waitEtcdHealthy } from '@pgwarden/testkit';
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
      // The fault happened: the configured member is gone. If it was the raft leader, the two left
      // need an election before they serve; that wait is etcd's, not the adapter's (retry_timeout
      // here is 2 s, and a loaded machine can spend that on the election alone).
      expect(three.etcd().nodes[0]!.running()).toBe(false);
      await waitEtcdHealthy(three.etcd().nodes[1]!, 15_000);
      const renewed = await dcs.updateLeader({ lastLsn: 10 });
      expect(renewed.kind, JSON.stringify(renewed)).toBe('held');
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
