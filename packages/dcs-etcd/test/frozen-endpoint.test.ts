/**
 * A frozen etcd member (SIGSTOP: sockets open, no answers) is the endpoint
 * the adapters talk to first. The leader must keep its lock through the
 * other members within retry_timeout, and a replica whose watch sat on the
 * frozen member must still see the leader key go once its next request has
 * failed over (not only after gRPC keepalive gives up).
 */
import { describe, expect, it } from 'vitest';
import type { EtcdDcs } from '../src/index.js';
import { useThreeNodeEtcd } from './etcd-harness.js';

const timings = { ttlSeconds: 6, loopWaitSeconds: 1, retryTimeoutSeconds: 2.5 };

describe('a frozen etcd member', () => {
  const three = useThreeNodeEtcd();

  it('does not cost the leader its lock, and the replica still notices the leader key going', async () => {
    const member = (name: string): EtcdDcs => three.open({ scope: 'frozen', name, ...timings });
    const leader = member('node1');
    const replica = member('node2');
    expect((await leader.acquireLeader()).kind).toBe('held');
    expect((await replica.touchMember({ state: 'running' })).ok).toBe(true);
    expect((await replica.getCluster()).ok).toBe(true);
    expect(leader.endpoints[0]).toBe(three.etcd().endpoints[0]);

    three.etcd().nodes[0]!.freeze();
    const started = performance.now();
    const update = await leader.updateLeader({ lastLsn: 100 });
    expect(update.kind).toBe('held');
    expect(performance.now() - started).toBeLessThan(timings.retryTimeoutSeconds * 1000 + 500);

    // The replica's next cycle: its lease keepalive fails over, which restarts its watch elsewhere.
    expect((await replica.touchMember({ state: 'running', xlog_location: 5 })).ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await replica.getCluster();
    const waiting = replica.watch(5000);
    expect((await leader.deleteLeader({})).ok).toBe(true);
    const wokenAt = performance.now();
    expect(await waiting).toBe(true);
    expect(performance.now() - wokenAt).toBeLessThan(1000);
    const view = await replica.getCluster();
    expect(view.ok && view.value.leader).toBeUndefined();
  });
});
