/**
 * Commit latency of one client on the primary of a four-member cluster under
 * asynchronous replication, priority synchronous mode
 * (`synchronous_node_count: 2`: PostgreSQL waits for both named standbys) and
 * quorum commit (`ANY 2` of the three standbys), the same writer for each:
 * single-row INSERTs in autocommit, one after another. Prints median, p95,
 * p99 and mean per mode; asserts nothing.
 *
 * Run: node --conditions=pgwarden-source --import tsx packages/daemon/bench/commit-latency.ts [--commits N] [--rounds R]
 */
import pg from 'pg';
import { clusterPasswords } from '../../testkit/src/cluster-config.js';
import { startPgwardenCluster, type PgwardenCluster, type PgwardenMember } from '../../testkit/src/cluster.js';
import { waitUntil } from '../../testkit/src/cluster-wait.js';
import { query } from '../test/e2e/helpers.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number): number => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) || fallback : fallback);
const commits = option('--commits', 2000);
const rounds = option('--rounds', 3);

interface Mode {
  readonly label: string;
  readonly dcs: Record<string, unknown>;
  /** What pg_stat_replication shows once the mode is in force. */
  readonly ready: (states: readonly string[]) => boolean;
}

const modes: readonly Mode[] = [
  { label: 'asynchronous', dcs: { synchronous_mode: false }, ready: (states) => states.length === 3 },
  { label: 'priority, 2 sync standbys', dcs: { synchronous_mode: true, synchronous_node_count: 2 }, ready: (states) => states.filter((state) => state === 'sync').length === 2 },
  { label: 'quorum, ANY 2 of 3', dcs: { synchronous_mode: 'quorum', synchronous_node_count: 2 }, ready: (states) => states.filter((state) => state === 'quorum').length === 3 },
];

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

async function commitLatencies(leader: PgwardenMember): Promise<number[]> {
  const client = new pg.Client({ host: '127.0.0.1', port: leader.pgPort, database: 'postgres', user: clusterPasswords.superuser.username, password: clusterPasswords.superuser.password });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const latencies: number[] = [];
    for (let index = 0; index < commits; index++) {
      const started = performance.now();
      await client.query('INSERT INTO latency_writes (payload) VALUES ($1)', [index]);
      latencies.push(performance.now() - started);
    }
    return latencies;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function measure(mode: Mode): Promise<number[]> {
  let cluster: PgwardenCluster | undefined;
  try {
    cluster = await startPgwardenCluster({ size: 4, dcs: mode.dcs });
    const leader = await cluster.waitForLeader({ timeoutMs: 120_000 });
    await cluster.waitForStreamingReplicas(3, { timeoutMs: 180_000 });
    await waitUntil(async () => mode.ready((await query<{ state: string }>(leader, 'SELECT sync_state AS state FROM pg_stat_replication')).map((row) => row.state)), {
      timeoutMs: 120_000,
      what: `${mode.label} in force`,
    });
    await query(leader, 'CREATE TABLE latency_writes (id bigserial PRIMARY KEY, payload bigint)');
    await commitLatencies(leader); // warm-up
    const all: number[] = [];
    for (let round = 0; round < rounds; round++) all.push(...(await commitLatencies(leader)));
    return all;
  } finally {
    await cluster?.stop();
  }
}

const rows: string[] = [];
for (const mode of modes) {
  const sorted = (await measure(mode)).sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  rows.push(
    `| ${mode.label} | ${percentile(sorted, 0.5).toFixed(2)} | ${percentile(sorted, 0.95).toFixed(2)} | ${percentile(sorted, 0.99).toFixed(2)} | ${mean.toFixed(2)} | ${sorted.length} |`,
  );
}
console.log(`commit latency, ms (one client, ${rounds} × ${commits} single-row INSERTs after a warm-up round)`);
console.log('| mode | median | p95 | p99 | mean | commits |\n|---|---|---|---|---|---|');
console.log(rows.join('\n'));
