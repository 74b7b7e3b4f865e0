// scratch: REST throughput of a live agent (built bin): wrk -t2 -c16 OPTIONS /primary on the leader
// AGENT_FLAGS='--single-threaded --trace-gc' BACKLOG=128 RUNS=3 npx tsx packages/daemon/bench/probe-rest.ts
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startPgwardenCluster } from '../../testkit/src/cluster.js';
const extra = (process.env.AGENT_FLAGS ?? '--single-threaded').split(' ').filter(Boolean);
const backlog = Number(process.env.BACKLOG ?? 5);
const cluster = await startPgwardenCluster({
  size: 1, ttl: 30, loopWait: 10, retryTimeout: 10,
  agentCommand: [process.execPath, ...extra, fileURLToPath(new URL('../../cli/dist/bin/pgwarden.js', import.meta.url))],
  configure: (_name, config) => ({ ...config, restapi: { ...(config['restapi'] as object), request_queue_size: backlog } }),
});
try {
  const leader = await cluster.waitForLeader({ timeoutMs: 120_000 });
  await new Promise((r) => setTimeout(r, 5000));
  const url = `http://127.0.0.1:${leader.apiPort}/primary`;
  for (let i = 0; i < Number(process.env.RUNS ?? 3); i++) {
    const out = execFileSync('wrk', ['-t2', '-c16', '-d10s', '--latency', '-s', fileURLToPath(new URL('../../rest-api/bench/options.lua', import.meta.url)), url], { encoding: 'utf8' });
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)?.[1];
    const p99 = /99%\s+([\d.]+\w+)/.exec(out)?.[1];
    const p90 = /90%\s+([\d.]+\w+)/.exec(out)?.[1];
    console.log(`flags [${extra.join(' ')}] backlog ${backlog} run ${i}: ${rps} req/s, p90 ${p90} p99 ${p99}`);
  }
  if (process.env.LOG) console.log(cluster.members[0]?.log?.() ?? '');
} finally {
  await cluster.stop();
}
