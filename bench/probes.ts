/**
 * Small probes the scenarios share: PostgreSQL asked as a client would
 * (writable? who streams?), processes read from /proc, timing helpers.
 * Everything here observes; nothing asserts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { clusterPasswords, waitUntil, type PgwardenCluster, type PgwardenMember } from '@pgwarden/testkit';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const credentials = { user: clusterPasswords.superuser.username, password: clusterPasswords.superuser.password };

/** One short session on 127.0.0.1:port as the superuser: run `sql`, close. */
export async function queryPort<T extends Record<string, unknown>>(port: number, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ host: '127.0.0.1', port, database: 'postgres', ...credentials, connectionTimeoutMillis: 2000, statement_timeout: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const query = <T extends Record<string, unknown>>(member: PgwardenMember, sql: string, values: unknown[] = []): Promise<T[]> => queryPort<T>(member.pgPort, sql, values);

/** The member accepts a write now (not in recovery, and a real INSERT commits). */
export async function writable(member: PgwardenMember, table: string): Promise<boolean> {
  try {
    await query(member, `INSERT INTO ${table} (id) VALUES (-1) ON CONFLICT DO NOTHING`);
    return true;
  } catch {
    return false;
  }
}

/** The members that answer `pg_is_in_recovery() = false`. */
export async function primaries(cluster: PgwardenCluster): Promise<PgwardenMember[]> {
  const flags = await Promise.all(
    cluster.members.map(async (member) => {
      try {
        return (await query<{ recovery: boolean }>(member, 'SELECT pg_is_in_recovery() AS recovery'))[0]?.recovery === false;
      } catch {
        return false;
      }
    }),
  );
  return cluster.members.filter((_member, index) => flags[index]);
}

/** application_name of every standby the primary on `member` sees `streaming` (the members' names, for both agents). */
export async function streamingStandbys(member: PgwardenMember): Promise<string[]> {
  try {
    const rows = await query<{ application_name: string }>(member, "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'");
    return rows.map((row) => row.application_name);
  } catch {
    return [];
  }
}

/**
 * A healthy cluster, as a client sees it: exactly one member not in
 * recovery, its REST API answering 200 on GET /primary, and `replicas`
 * standbys streaming from it. Resolves with that leader.
 */
export async function waitHealthy(cluster: PgwardenCluster, timeoutMs = 120_000, replicas = cluster.members.length - 1): Promise<PgwardenMember> {
  return waitUntil(
    async () => {
      const found = await primaries(cluster);
      if (found.length !== 1) return undefined;
      const leader = found[0]!;
      const answer = await leader.request('GET', '/primary').catch(() => undefined);
      if (answer?.status !== 200) return undefined;
      return (await streamingStandbys(leader)).length >= replicas ? leader : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `one primary with ${replicas} streaming standbys` },
  );
}

/** Parent PID of `pid`, from /proc/PID/stat (undefined when gone). */
function parentOf(pid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** `roots` and every process descended from them, from /proc. */
export function processTree(roots: readonly number[]): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = parentOf(Number(entry));
    if (parent !== undefined) parents.set(Number(entry), parent);
  }
  const found = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (!found.has(pid) && found.has(parent)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found];
}

/** utime + stime of a process, in clock ticks (100 per second on Linux). */
export function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

/** VmRSS of a process in KiB. */
export function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0);
}

/** RssAnon of a process in KiB: its own resident memory (heap, stacks), without the file-backed pages of its binary and libraries. */
export function rssAnonKiB(pid: number): number {
  const match = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0);
}

/** PSS of a process in KiB (`Pss:` of /proc/PID/smaps_rollup): each resident page divided by the number of processes that map it. */
export function pssKiB(pid: number): number {
  const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return Number(match?.[1] ?? 0);
}

/** A live process with this PID (neither gone nor a zombie). */
export function alive(pid: number): boolean {
  try {
    return !/^State:\s+[ZX]/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Sum of etcd's `grpc_server_handled_total` (every gRPC call it answered), from its /metrics. */
export async function etcdHandledTotal(clientUrl: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`${clientUrl}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
    let total = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('grpc_server_handled_total{')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  } catch {
    return undefined;
  }
}
