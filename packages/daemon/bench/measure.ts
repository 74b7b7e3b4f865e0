/**
 * Measures the agent end to end on this machine and prints the numbers (it
 * asserts nothing — timings belong in benchmarks, not in tests):
 *
 * - write-unavailability of a planned switchover (longest gap between two
 *   acknowledged writes of a client using target_session_attrs=read-write);
 * - host death (SIGKILL of the leader's agent, postmaster and backends at
 *   once) under a writing client: the write gap, the time to a writable new
 *   primary and acknowledged writes lost — at Patroni's defaults (30/10/10),
 *   at Patroni's floor (20/2/5) and at the fast profile (5/1/1);
 * - the idle agent's RSS and CPU.
 *
 * Run: node --conditions=pgwarden-source --import tsx packages/daemon/bench/measure.ts [--runs N] [--only switchover|failover|failover-fast|idle] [--built]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { clusterPasswords } from '../../testkit/src/cluster-config.js';
import { startPgwardenCluster, type PgwardenCluster, type PgwardenMember } from '../../testkit/src/cluster.js';
import { waitUntil } from '../../testkit/src/cluster-wait.js';
import { ReadWriteWriter } from '../test/e2e/writer.js';
import { isInRecovery, query } from '../test/e2e/helpers.js';

const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1] ?? 3) || 3;
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
// --built: run the bundled bin (after `npx turbo run build --filter=@pgwarden/cli...`) instead of the TS sources via tsx.
const built = argv.includes('--built');
const agentCommand = built ? [process.execPath, fileURLToPath(new URL('../../cli/dist/bin/pgwarden.js', import.meta.url))] : undefined;
const runner = built ? 'built bin' : 'run through tsx';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function describe(label: string, values: readonly number[], unit = 'ms'): void {
  console.log(`${label}: median ${median(values).toFixed(0)} ${unit}, min ${Math.min(...values).toFixed(0)}, max ${Math.max(...values).toFixed(0)} (n=${values.length}: ${values.map((value) => value.toFixed(0)).join(', ')})`);
}

async function healthy(cluster: PgwardenCluster): Promise<PgwardenMember> {
  const leader = await cluster.waitForLeader({ timeoutMs: 120_000 });
  await cluster.waitForStreamingReplicas(2, { timeoutMs: 120_000 });
  return leader;
}

async function measureSwitchovers(): Promise<void> {
  const cluster = await startPgwardenCluster({ ttl: 30, loopWait: 10, retryTimeout: 10, ...(agentCommand ? { agentCommand } : {}) });
  try {
    const first = await healthy(cluster);
    await query(first, 'CREATE TABLE bench_writes (id bigint PRIMARY KEY)');
    const gaps: number[] = [];
    const lost: number[] = [];
    for (let run = 0; run < runs; run++) {
      const leader = await healthy(cluster);
      const candidate = cluster.members.find((member) => member !== leader)!;
      const writer = new ReadWriteWriter(cluster.members.map((member) => ({ port: member.pgPort })), { user: clusterPasswords.superuser.username, password: clusterPasswords.superuser.password }, 'bench_writes');
      writer.start();
      await waitUntil(() => writer.count >= 50, { timeoutMs: 20_000 });
      const answer = await leader.request('POST', '/switchover', { leader: leader.name, candidate: candidate.name });
      if (answer.status !== 200) throw new Error(`switchover failed: ${answer.status} ${answer.body}`);
      const count = writer.count;
      await waitUntil(() => writer.count >= count + 50, { timeoutMs: 60_000 });
      const report = await writer.stop();
      gaps.push(report.longestGapMs);
      const stored = new Set((await query<{ id: string }>(candidate, 'SELECT id FROM bench_writes')).map((row) => Number(row.id)));
      lost.push(report.acknowledged.filter((id) => !stored.has(id)).length);
      await query(candidate, 'TRUNCATE bench_writes');
    }
    describe('switchover write-unavailability (ttl 30, loop_wait 10)', gaps);
    console.log(`acknowledged writes lost across switchovers: ${lost.reduce((a, b) => a + b, 0)}`);
  } finally {
    await cluster.stop();
  }
}

/** The postmaster and every process it started (backends, walsender, checkpointer, …), from /proc. */
function postgresProcesses(postmaster: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
      if (ppid === postmaster) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return [postmaster, ...children];
}

/**
 * Host death: the leader's agent, postmaster and backends SIGKILLed at once,
 * a client writing through a read-write multi-host connection meanwhile.
 * Measured: the write gap (last acknowledged write before the kill to the
 * first on the new primary) and acknowledged writes missing afterwards.
 */
async function measureFailover(timings: { ttl: number; loopWait: number; retryTimeout: number }): Promise<void> {
  const cluster = await startPgwardenCluster({ ...timings, ...(agentCommand ? { agentCommand } : {}) });
  try {
    const first = await healthy(cluster);
    await query(first, 'CREATE TABLE IF NOT EXISTS bench_failover (id bigint PRIMARY KEY)');
    const gaps: number[] = [];
    const writable: number[] = [];
    let lost = 0;
    for (let run = 0; run < runs; run++) {
      const leader = await healthy(cluster);
      await cluster.waitForStreamingReplicas(2, { timeoutMs: 120_000 });
      await query(leader, 'TRUNCATE bench_failover');
      const writer = new ReadWriteWriter(cluster.members.map((member) => ({ port: member.pgPort })), { user: clusterPasswords.superuser.username, password: clusterPasswords.superuser.password }, 'bench_failover');
      writer.start();
      await waitUntil(() => writer.count >= 50, { timeoutMs: 20_000 });
      const agent = leader.agentPid()!;
      const victims = [agent, ...postgresProcesses(leader.postmasterPid()!)];
      const startedAt = Date.now();
      for (const pid of victims) process.kill(pid, 'SIGKILL');
      await leader.kill();
      const next = await cluster.waitForLeader({ exclude: leader.name, timeoutMs: 180_000 });
      await waitUntil(async () => (await isInRecovery(next)) === false, { timeoutMs: 60_000, intervalMs: 50 });
      writable.push(Date.now() - startedAt);
      const count = writer.count;
      await waitUntil(() => writer.count >= count + 50, { timeoutMs: 60_000 });
      const report = await writer.stop();
      gaps.push(report.longestGapMs);
      const stored = new Set((await query<{ id: string }>(next, 'SELECT id FROM bench_failover')).map((row) => Number(row.id)));
      lost += report.acknowledged.filter((id) => !stored.has(id)).length;
      await leader.start();
    }
    const label = `(ttl ${timings.ttl}, loop_wait ${timings.loopWait}, retry_timeout ${timings.retryTimeout})`;
    describe(`host-death failover, write-unavailability ${label}`, gaps);
    describe(`host-death failover, kill to writable new primary ${label}`, writable);
    console.log(`acknowledged writes lost across host-death failovers ${label}: ${lost}`);
  } finally {
    await cluster.stop();
  }
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0);
}

async function measureIdle(): Promise<void> {
  const windowSeconds = 60;
  const cluster = await startPgwardenCluster({ ttl: 30, loopWait: 10, retryTimeout: 10, ...(agentCommand ? { agentCommand } : {}) });
  try {
    await healthy(cluster);
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    const pids = cluster.members.map((member) => ({ name: member.name, pid: member.agentPid()! }));
    const before = pids.map(({ pid }) => cpuTicks(pid));
    await new Promise((resolve) => setTimeout(resolve, windowSeconds * 1000));
    const ticksPerSecond = 100;
    for (const [index, { name, pid }] of pids.entries()) {
      const cpuSeconds = (cpuTicks(pid) - (before[index] ?? 0)) / ticksPerSecond;
      const role = (await cluster.member(name).status())?.['role'];
      console.log(`idle agent ${name} (${String(role)}): RSS ${(rssKiB(pid) / 1024).toFixed(1)} MiB, CPU ${((cpuSeconds / windowSeconds) * 100).toFixed(2)} % over ${windowSeconds} s (loop_wait 10, ${runner})`);
    }
  } finally {
    await cluster.stop();
  }
}

if (only === undefined || only === 'switchover') await measureSwitchovers();
if (only === undefined || only === 'failover') {
  await measureFailover({ ttl: 30, loopWait: 10, retryTimeout: 10 });
  await measureFailover({ ttl: 20, loopWait: 2, retryTimeout: 5 });
}
// The fast profile (core/src/config/fast-profile.ts).
if (only === undefined || only === 'failover' || only === 'failover-fast') await measureFailover({ ttl: 5, loopWait: 1, retryTimeout: 1 });
if (only === undefined || only === 'idle') await measureIdle();
