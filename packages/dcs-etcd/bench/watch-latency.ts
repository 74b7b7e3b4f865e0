/**
 * Benchmark (prints, asserts nothing): how long after the leader key is
 * deleted (or taken) a replica's watch() wakes, on a real three-node etcd,
 * and how many requests a healthy cycle costs. Run:
 *   node --conditions=pgwarden-source --import tsx bench/watch-latency.ts [rounds]
 */
import { startEtcd } from '@pgwarden/testkit';
import { EtcdDcs } from '../src/index.js';

const rounds = Number(process.argv[2] ?? 50);
const timings = { ttlSeconds: 10, loopWaitSeconds: 2, retryTimeoutSeconds: 3 };

function summary(label: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): string => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(2);
  return `${label}: n=${sorted.length} p50=${at(0.5)} ms p90=${at(0.9)} ms p99=${at(0.99)} ms max=${at(1)} ms`;
}

const etcd = await startEtcd({ size: 3 });
const leader = new EtcdDcs({ hosts: [...etcd.endpoints], scope: 'bench', name: 'node1', ...timings });
const replica = new EtcdDcs({ hosts: [...etcd.endpoints].reverse(), scope: 'bench', name: 'node2', ...timings });
try {
  const deletion: number[] = [];
  const takeover: number[] = [];
  for (let round = 0; round < rounds; round++) {
    await replica.getCluster();
    let waiting = replica.watch(5000);
    let started = performance.now();
    await leader.acquireLeader();
    if (await waiting) takeover.push(performance.now() - started);
    await replica.getCluster();
    waiting = replica.watch(5000);
    started = performance.now();
    await leader.deleteLeader({});
    if (await waiting) deletion.push(performance.now() - started);
  }
  process.stdout.write(`${summary('watch wake after leader key deleted (from the delete call)', deletion)}\n`);
  process.stdout.write(`${summary('watch wake after leader key taken (from the acquire call)', takeover)}\n`);
} finally {
  await leader.close();
  await replica.close();
  await etcd.stop();
}
