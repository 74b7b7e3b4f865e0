/**
 * Quorum lost: two of three etcd members stopped. The remaining member is
 * alive but has no raft leader; every request carries `hasleader` (through
 * the JSON gateway as the header `Grpc-Metadata-Hasleader`), so it answers
 * "no leader" at once instead of serving a stale view or letting a write
 * hang. The lock refresh is `unreachable` within retry_timeout and, once the
 * watch has been cancelled, reads are too. That the survivor's answers are
 * "no leader" and not timeouts is read from the adapter's debug log: without
 * `hasleader` the outcomes would be the same, only slower.
 */
import { describe, expect, it } from 'vitest';
import type { EtcdDcs, Logger } from '../src/index.js';
import { useThreeNodeEtcd } from './etcd-harness.js';

const timings = { ttlSeconds: 6, loopWaitSeconds: 1, retryTimeoutSeconds: 2 };

describe('etcd quorum lost', () => {
  const three = useThreeNodeEtcd();

  it('lock refresh and reads are unreachable within retry_timeout, never lost', async () => {
    const failures: Array<{ endpoint: unknown; error: unknown }> = [];
    const logger: Logger = {
      debug: (fields, message) => {
        if (message === 'etcd request failed') failures.push({ endpoint: fields['endpoint'], error: fields['error'] });
      },
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const dcs = three.open({ scope: 'quorum', name: 'node1', ...timings, logger });
    expect((await dcs.acquireLeader()).kind).toBe('held');
    expect((await dcs.getCluster()).ok).toBe(true);
    await Promise.all([three.etcd().nodes[1]!.stop('SIGKILL'), three.etcd().nodes[2]!.stop('SIGKILL')]);
    const bound = timings.retryTimeoutSeconds * 1000 + 1000;
    // Until check-quorum makes it step down (an election timeout, 500 ms here) the survivor is
    // still raft leader and renews leases locally; etcd extends every lease on a leader change,
    // so that renewal is still safe. Afterwards every refresh must be unreachable, never lost.
    let started = performance.now();
    let update = await dcs.updateLeader({ lastLsn: 1 });
    const stepDownBy = Date.now() + 5000;
    while (update.kind === 'held' && Date.now() < stepDownBy) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      started = performance.now();
      update = await dcs.updateLeader({ lastLsn: 1 });
    }
    expect(update.kind).toBe('unreachable');
    expect(performance.now() - started).toBeLessThan(bound);
    let read = await dcs.getCluster();
    const deadline = Date.now() + 10_000;
    while (read.ok && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      read = await dcs.getCluster();
    }
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.reason).toBe('unreachable');
    // By now the survivor knows it has no leader: it must say so, not keep us waiting.
    failures.length = 0;
    started = performance.now();
    expect((await dcs.acquireLeader()).kind).toBe('unreachable');
    expect(performance.now() - started).toBeLessThan(bound);
    const survivor = failures.filter((failure) => failure.endpoint === three.etcd().endpoints[0]);
    expect(survivor.length).toBeGreaterThan(0);
    expect(survivor.filter((failure) => /no answer within/.test(String(failure.error)))).toEqual([]);
    expect(survivor.some((failure) => String(failure.error).includes('etcdserver: no leader'))).toBe(true);
  });
});
