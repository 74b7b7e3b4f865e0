// scratch: start a cluster with the built bin and report memory and CPU of each agent; keep running for inspection
// Env: SIZE (members, 1), SETTLE (s before measuring, 15), WINDOW (s of CPU measurement, 30), HOLD (s to keep each agent up after), AGENT_FLAGS (node flags).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startPgwardenCluster } from '../../testkit/src/cluster.js';
const extra = (process.env.AGENT_FLAGS ?? '').split(' ').filter(Boolean);
const size = Number(process.env.SIZE ?? 1);
const window = Number(process.env.WINDOW ?? 30);
const cluster = await startPgwardenCluster({ size, ttl: 30, loopWait: 10, retryTimeout: 10, agentCommand: [process.execPath, ...extra, fileURLToPath(new URL('../../cli/dist/bin/pgwarden.js', import.meta.url))] });
/** CPU ticks (user+system) of each thread, by thread name. */
function threadTicks(pid: number): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '#');
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      ticks.set(name, (ticks.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]));
    } catch {
      // thread ended
    }
  }
  return ticks;
}
/** CPU time of all threads in ms, exact (scheduler's nanoseconds, not 10 ms ticks). */
function schedMs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try { ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]); } catch { /* ended */ }
  }
  return ns / 1e6;
}
try {
  await cluster.waitForLeader({ timeoutMs: 120_000 });
  if (size > 1) await cluster.waitForStreamingReplicas(size - 1, { timeoutMs: 120_000 });
  if (process.env.TIMELINE) {
    // CPU of every member per 10 s slice from now on, side by side (ms of CPU per slice)
    const pids = cluster.members.map((m) => m.agentPid()!);
    let last = pids.map(schedMs);
    for (let t = 10; t <= Number(process.env.TIMELINE); t += 10) {
      await new Promise((r) => setTimeout(r, 10_000));
      const now = pids.map(schedMs);
      console.log(`t+${t}s ${now.map((v, i) => (v - last[i]!).toFixed(1)).join(' ')} ms`);
      last = now;
    }
  }
  await new Promise((r) => setTimeout(r, Number(process.env.SETTLE ?? 15) * 1000));
  for (const m of cluster.members) {
    const pid = m.agentPid()!;
    const t0 = threadTicks(pid);
    const s0 = schedMs(pid);
    // RSS moves with the GC: sampled once a second over the window, mean (and max) reported
    const samples: Record<string, number>[] = [];
    for (let s = 0; s < window; s += 1) {
      await new Promise((r) => setTimeout(r, 1000));
      const st = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (k: string) => Number(/(\d+) kB/.exec(st.split('\n').find((l) => l.startsWith(k)) ?? '')?.[1]);
      samples.push({ rss: kb('VmRSS:'), anon: kb('RssAnon:'), file: kb('RssFile:') });
    }
    const t1 = threadTicks(pid);
    const s1 = schedMs(pid);
    const mean = (k: string) => Math.round(samples.reduce((sum, x) => sum + x[k]!, 0) / samples.length);
    const pick = (k: string) => `${(mean(k) / 1024).toFixed(1)}`;
    const max = (k: string) => `${(Math.max(...samples.map((x) => x[k]!)) / 1024).toFixed(1)}`;
    let total = 0;
    const parts: string[] = [];
    for (const [name, ticks] of t1) {
      const used = ticks - (t0.get(name) ?? 0);
      total += used;
      if (used > 0) parts.push(`${name} ${used / 100}`);
    }
    console.log(`${m.name} pid ${pid} RSS ${pick('rss')} (max ${max('rss')}) anon ${pick('anon')} (max ${max('anon')}) file ${pick('file')} MiB; cpu ${total / 100}s/${window}s = ${((total / 100) * 60 / window).toFixed(3)} s/min (${parts.join(', ')}); schedstat ${((s1 - s0) / 1000 * 60 / window).toFixed(4)} s/min`);
    if (process.env.HOLD) { console.log('holding', pid); await new Promise((r) => setTimeout(r, Number(process.env.HOLD) * 1000)); }
  }
} finally {
  // With --trace-gc among AGENT_FLAGS: each agent's GC lines (its stdout) to /tmp/gc-<member>.log
  if (process.env.DUMP) for (const m of cluster.members) writeFileSync(`/tmp/out-${m.name}.log`, m.output());
  if (extra.includes('--trace-gc')) for (const m of cluster.members) writeFileSync(`/tmp/gc-${m.name}.log`, m.output().split('\n').filter((line) => /Scavenge|Mark-Compact|Mark-Sweep|Minor/.test(line)).join('\n'));
  await cluster.stop();
}
