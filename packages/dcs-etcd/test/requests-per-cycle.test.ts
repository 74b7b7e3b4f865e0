/**
 * How many etcd requests one member makes per HA cycle in a healthy cluster,
 * counted by the adapter itself. A cycle is what the daemon does: read the
 * cluster, refresh the lock (leader) and publish the member key. The numbers
 * are printed; the assertions pin the structural properties (a cycle's read
 * costs no request while the watch is healthy; an idle leader cycle is one
 * keepalive) so that a regression cannot hide.
 */
import { describe, expect, it } from 'vitest';
import type { EtcdDcs } from '../src/index.js';
import { useThreeNodeEtcd } from './etcd-harness.js';

const timings = { ttlSeconds: 3, loopWaitSeconds: 0.4, retryTimeoutSeconds: 1 };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('etcd requests per cycle (healthy three-node etcd)', () => {
  const three = useThreeNodeEtcd();
  const member = (name: string): EtcdDcs => three.open({ scope: 'per-cycle', name, ...timings });

  it('leader: 1 request idle (keepalive), 3 when its WAL moved; replica: 1 idle, 2 when its WAL moved; reads cost 0', async () => {
    const leader = member('node1');
    const replica = member('node2');
    expect((await leader.acquireLeader()).kind).toBe('held');
    await leader.getCluster();
    await replica.getCluster();
    const counts: Record<string, number[]> = { 'leader idle': [], 'leader busy': [], 'replica idle': [], 'replica busy': [] };
    let lsn = 1000;
    for (let cycle = 0; cycle < 8; cycle++) {
      const busy = cycle % 2 === 1;
      if (busy) lsn += 4096;
      await sleep(timings.loopWaitSeconds * 1000 + 20);
      leader.resetRequestCounts();
      expect((await leader.getCluster()).ok).toBe(true);
      expect(leader.requestCounts().total).toBe(0);
      expect((await leader.updateLeader({ lastLsn: lsn })).kind).toBe('held');
      expect((await leader.touchMember({ state: 'running', role: 'primary', xlog_location: lsn })).ok).toBe(true);
      replica.resetRequestCounts();
      expect((await replica.getCluster()).ok).toBe(true);
      expect(replica.requestCounts().total).toBe(0);
      expect((await replica.touchMember({ state: 'running', role: 'replica', xlog_location: lsn - 10 })).ok).toBe(true);
      if (cycle >= 2) {
        counts[`leader ${busy ? 'busy' : 'idle'}`]!.push(leader.requestCounts().total);
        counts[`replica ${busy ? 'busy' : 'idle'}`]!.push(replica.requestCounts().total);
      }
    }
    process.stdout.write(`etcd requests per cycle: ${JSON.stringify(counts)}\n`);
    expect(new Set(counts['leader idle'])).toEqual(new Set([1]));
    expect(new Set(counts['leader busy'])).toEqual(new Set([3]));
    expect(new Set(counts['replica idle'])).toEqual(new Set([1]));
    expect(new Set(counts['replica busy'])).toEqual(new Set([2]));
  });

  it("a read of unchanged keys returns the Cluster parsed before; another member's change and its own write are in the next read", async () => {
    const open = (name: string): EtcdDcs => three.open({ scope: 'parsed-once', name, ...timings });
    const a = open('a');
    const b = open('b');
    const read = async (dcs: EtcdDcs) => {
      const result = await dcs.getCluster();
      if (!result.ok) throw new Error(`getCluster failed: ${result.message}`);
      return result.value;
    };
    expect((await a.touchMember({ state: 'running', role: 'replica', xlog_location: 1 })).ok).toBe(true);
    const first = await read(a);
    expect(await read(a)).toBe(first);
    // Another member's write reaches the cache through the watch.
    expect((await b.touchMember({ state: 'running', role: 'replica', xlog_location: 2 })).ok).toBe(true);
    let seen = first;
    for (let attempt = 0; attempt < 100 && !seen.members.some((entry) => entry.name === 'b'); attempt++) {
      await sleep(20);
      seen = await read(a);
    }
    expect(seen.members.map((entry) => entry.name).sort()).toEqual(['a', 'b']);
    expect(seen).not.toBe(first);
    // Its own write is applied to the cache at once.
    expect((await a.touchMember({ state: 'running', role: 'replica', xlog_location: 3 })).ok).toBe(true);
    expect((await read(a)).members.find((entry) => entry.name === 'a')?.data.xlog_location).toBe(3);
  });
});
