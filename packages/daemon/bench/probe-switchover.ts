// scratch: one switchover under a writer; dumps both members' logs around the gap
import { writeFileSync } from 'node:fs';
import { clusterPasswords } from '../../testkit/src/cluster-config.js';
import { startPgwardenCluster } from '../../testkit/src/cluster.js';
import { waitUntil } from '../../testkit/src/cluster-wait.js';
import { ReadWriteWriter } from '../test/e2e/writer.js';
import { query } from '../test/e2e/helpers.js';
import { readdirSync, readFileSync } from 'node:fs';
function cpuByGroup(agentPids: number[]): Map<string, number> {
  const groups = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const idx = agentPids.indexOf(Number(pid));
      const key = idx >= 0 ? `agent${idx + 1}` : Number(pid) === process.pid ? 'probe' : comm.startsWith('postgres') ? 'postgres' : comm;
      let ns = 0;
      for (const tid of readdirSync(`/proc/${pid}/task`)) { try { ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]); } catch { /* gone */ } }
      groups.set(key, (groups.get(key) ?? 0) + ns / 1e6);
    } catch { /* gone */ }
  }
  return groups;
}
const cluster = await startPgwardenCluster({ ttl: 30, loopWait: 10, retryTimeout: 10, ...(process.env.DEBUGLOG ? { configure: (n: string, c: Record<string, unknown>) => {
  const pgc = c['postgresql'] as Record<string, unknown>;
  const parameters = { ...(pgc['parameters'] as Record<string, unknown> | undefined), ...(process.env.PGDEBUG ? { log_line_prefix: '%m [%p] %b ', log_min_messages: 'debug1', logging_collector: 'on', log_directory: `/tmp/sw/pglog-${n}`, log_filename: 'pg.log' } : {}) };
  return { ...c, log: { level: 'DEBUG' }, postgresql: { ...pgc, parameters } };
} } : {}) });
try {
  const leader = await cluster.waitForLeader({ timeoutMs: 120_000 });
  await cluster.waitForStreamingReplicas(2, { timeoutMs: 120_000 });
  await query(leader, 'CREATE TABLE w (id bigint PRIMARY KEY)');
  for (let run = 0; run < Number(process.env.RUNS ?? 2); run++) {
    const current = await cluster.waitForLeader({ timeoutMs: 60_000 });
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 120_000 });
    const candidate = cluster.members.find((m) => m !== current)!;
    const writer = new ReadWriteWriter(cluster.members.map((m) => ({ port: m.pgPort })), { user: clusterPasswords.superuser.username, password: clusterPasswords.superuser.password }, 'w', Number(process.env.RETRY_MS ?? 50));
    const times: number[] = [];
    const orig = (writer as any).acknowledgedAt as number[];
    writer.start();
    await waitUntil(() => writer.count >= 50, { timeoutMs: 20_000 });
    const third = cluster.members.find((m) => m !== current && m !== candidate);
    const before = [current.output().length, candidate.output().length, third?.output().length ?? 0];
    let flipped = 0; let polling = true;
    const poller = (async () => {
      const pg = (await import('pg')).default;
      const c = new pg.Client({ host: '127.0.0.1', port: candidate.pgPort, database: 'postgres', user: clusterPasswords.superuser.username, password: clusterPasswords.superuser.password });
      await c.connect();
      while (polling) { const r = await c.query('select pg_is_in_recovery() r'); if (!r.rows[0].r) { flipped = Date.now(); break; } await new Promise((z) => setTimeout(z, 3)); }
      await c.end();
    })();
    const cpuBefore = cpuByGroup(cluster.members.map((m) => m.agentPid()!));
    const t0 = Date.now();
    setTimeout(() => { const after = cpuByGroup(cluster.members.map((m) => m.agentPid()!)); const out: string[] = []; for (const [k, v] of after) { const d = v - (cpuBefore.get(k) ?? 0); if (d > 2) out.push(`${k}=${d.toFixed(0)}`); } console.log(`cpu ms in the 700 ms after POST: ${out.join(' ')}`); }, 700);
    const answer = await current.request('POST', '/switchover', { leader: current.name, candidate: candidate.name });
    const t1 = Date.now();
    const count = writer.count;
    await waitUntil(() => writer.count >= count + 50, { timeoutMs: 60_000 });
    const report = await writer.stop();
    {
      const stored = new Set((await query<{ id: string }>(candidate, 'SELECT id FROM w')).map((row) => Number(row.id)));
      const lost = report.acknowledged.filter((id) => !stored.has(id));
      const at = (writer as any).acknowledgedAt as number[];
      const idx = lost.map((id) => report.acknowledged.indexOf(id));
      console.log(`run ${run}: lost ${lost.length}${lost.length ? ` ids ${lost[0]}..${lost.at(-1)} at ${new Date(at[idx[0]!]!).toISOString()}..${new Date(at[idx.at(-1)!]!).toISOString()}` : ''}`);
    }
    polling = false; await poller;
    let streamingAt = 0;
    {
      const pg = (await import('pg')).default;
      const c = new pg.Client({ host: '127.0.0.1', port: candidate.pgPort, database: 'postgres', user: clusterPasswords.superuser.username, password: clusterPasswords.superuser.password });
      await c.connect();
      for (let i = 0; i < 3000; i++) { const r = await c.query("select 1 from pg_stat_replication where application_name = $1 and state = 'streaming'", [current.name]); if (r.rows.length > 0) { streamingAt = Date.now(); break; } await new Promise((z) => setTimeout(z, 10)); }
      await c.end();
    }
    console.log(`old primary streaming ${streamingAt - t0} ms after the switchover request`);
    let gapAt = 0; let gap = 0;
    for (let i = 1; i < orig.length; i++) if (orig[i]! - orig[i - 1]! > gap) { gap = orig[i]! - orig[i - 1]!; gapAt = i; }
    const out = [`switchover POST ${new Date(t0).toISOString()} answered ${new Date(t1).toISOString()} status ${answer.status}`, `candidate left recovery at ${new Date(flipped).toISOString()}`, `old streaming at ${new Date(streamingAt).toISOString()}`, `gap ${gap} ms from ${new Date(orig[gapAt - 1]!).toISOString()} to ${new Date(orig[gapAt]!).toISOString()}`, `--- old ${current.name}`, current.output().slice(before[0]), `--- new ${candidate.name}`, candidate.output().slice(before[1]), `--- third ${third?.name}`, third?.output().slice(before[2]) ?? ''].join('\n');
    writeFileSync(`/tmp/sw/run${run}.log`, out);
    console.log(`run ${run}: gap ${report.longestGapMs} ms`);
    await query(candidate, 'TRUNCATE w');
  }
} finally {
  await cluster.stop();
}
