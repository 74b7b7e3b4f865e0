/**
 * Shared helpers of the end-to-end tests: SQL against a member with `pg`,
 * and reading what a member reports.
 */
import pg from 'pg';
import { clusterPasswords, waitUntil, type PgwardenCluster, type PgwardenMember } from '@pgwarden/testkit';
import { ReadWriteWriter, type WriterReport } from './writer.js';

export async function query<T extends Record<string, unknown>>(member: PgwardenMember, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: member.connectionString(), connectionTimeoutMillis: 5000, statement_timeout: 10_000 });
  // A server shutting down sends FATAL 57P01 to an idle client: without a listener that is an uncaught exception.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function isInRecovery(member: PgwardenMember): Promise<boolean | undefined> {
  try {
    const rows = await query<{ recovery: boolean }>(member, 'SELECT pg_is_in_recovery() AS recovery');
    return rows[0]?.recovery;
  } catch {
    return undefined;
  }
}

/** Rows in `table` on the member, or undefined when it does not answer. */
export async function rowCount(member: PgwardenMember, table: string): Promise<number | undefined> {
  const rows = await query<{ count: string }>(member, `SELECT count(*) AS count FROM ${table}`).catch(() => undefined);
  return rows === undefined ? undefined : Number(rows[0]?.count);
}

/** The HTTP status of `GET path` on the member's REST API, or undefined when it does not answer. */
export async function statusCode(member: PgwardenMember, path: string): Promise<number | undefined> {
  return (await member.request('GET', path).catch(() => undefined))?.status;
}

/** The timeline a primary writes on (its WAL file name's first 8 hex digits), not /patroni's, which follows a cycle later. */
export async function writeTimeline(member: PgwardenMember): Promise<number> {
  const rows = await query<{ file: string }>(member, 'SELECT pg_walfile_name(pg_current_wal_lsn()) AS file');
  return Number.parseInt(rows[0]?.file.slice(0, 8) ?? '', 16);
}

/** `replica` streams from `primary` (its pg_stat_replication says so). */
export async function streamsFrom(primary: PgwardenMember, replica: PgwardenMember): Promise<boolean> {
  const rows = await query<{ application_name: string; state: string }>(primary, 'SELECT application_name, state FROM pg_stat_replication').catch(() => []);
  return rows.some((row) => row.application_name === replica.name && row.state === 'streaming');
}

/** The leader key's value in etcd, read through its JSON gateway; undefined when there is none. */
export async function leaderKey(cluster: PgwardenCluster): Promise<string | undefined> {
  const key = Buffer.from(`${cluster.namespace.replace(/\/$/, '')}/${cluster.scope}/leader`).toString('base64');
  const response = await fetch(`${cluster.etcd.endpoints[0]}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key }) });
  const body = (await response.json()) as { kvs?: { value?: string }[] };
  const value = body.kvs?.[0]?.value;
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
}

/** Agent output, for failure messages. */
export function transcripts(members: readonly PgwardenMember[], lines = 40): string {
  return members
    .map((member) => `--- ${member.name}\n${member.output().split('\n').slice(-lines).join('\n')}`)
    .join('\n');
}

/** The members whose PostgreSQL accepts writes now (an unanswered probe counts as not writable). */
export async function writablePrimaries(cluster: PgwardenCluster): Promise<PgwardenMember[]> {
  const states = await Promise.all(cluster.members.map(async (member) => ((await isInRecovery(member)) === false ? member : undefined)));
  return states.filter((member): member is PgwardenMember => member !== undefined);
}

/** Until the leader has published every member in `/failsafe` (failsafe mode can then confirm it). */
export async function waitForFailsafeList(leader: PgwardenMember, size: number): Promise<void> {
  await waitUntil(async () => {
    const answer = await leader.request('GET', '/failsafe').catch(() => undefined);
    return answer?.status === 200 && Object.keys(answer.json()).length === size;
  }, { timeoutMs: 30_000, what: 'the /failsafe member list' });
}

/** PATCH /config {pause} through `via`, then until every member reports it (`/patroni` has `pause` only while paused). */
export async function setPause(cluster: PgwardenCluster, via: PgwardenMember, pause: boolean): Promise<void> {
  const answer = await via.request('PATCH', '/config', { pause });
  if (answer.status !== 200) throw new Error(`PATCH /config {pause: ${pause}}: ${answer.status} ${answer.body}`);
  await waitUntil(async () => (await Promise.all(cluster.members.map((member) => member.status()))).every((status) => status !== undefined && (status['pause'] === true) === pause), {
    timeoutMs: 30_000,
    what: `every member to report pause ${pause}`,
  });
}

/** A writer into `table` that tries every member of the cluster, as a read-write client does (not started). */
export function clusterWriter(cluster: PgwardenCluster, table: string): ReadWriteWriter {
  const { username, password } = clusterPasswords.superuser;
  return new ReadWriteWriter(cluster.members.map((member) => ({ port: member.pgPort })), { user: username, password }, table);
}

/** The acknowledged ids that `member`'s `table` (an `id` column) does not hold. */
export async function missingWrites(member: PgwardenMember, table: string, acknowledged: readonly number[]): Promise<number[]> {
  const stored = new Set((await query<{ id: string }>(member, `SELECT id FROM ${table}`)).map((row) => Number(row.id)));
  return acknowledged.filter((id) => !stored.has(id));
}


export interface SwitchoverUnderWrites {
  /** Injects the fault and proves that it happened; runs after 100 acknowledged writes. */
  readonly fault: (leader: PgwardenMember, candidate: PgwardenMember) => Promise<void>;
  /** Judges POST /switchover's answer, at once. */
  readonly answered: (answer: { status: number; body: string }) => void;
  /** Judges the former leader's account once the candidate is the writable leader. */
  readonly promoted: (leader: PgwardenMember, candidate: PgwardenMember) => void | Promise<void>;
}

/**
 * A switchover from the leader to another member under a client writing into
 * `table` (an `id` column): 100 acknowledged writes, the fault, POST
 * /switchover, the candidate the writable leader, 100 writes on it. Returns
 * the pair and the acknowledged writes that the candidate lacks.
 */
export async function switchoverUnderWrites(
  cluster: PgwardenCluster,
  table: string,
  steps: SwitchoverUnderWrites,
): Promise<{ leader: PgwardenMember; candidate: PgwardenMember; missing: number[] }> {
  const leader = await cluster.waitForLeader({ timeoutMs: 10_000 });
  const candidate = cluster.members.find((member) => member !== leader)!;
  const writer = clusterWriter(cluster, table);
  writer.start();
  let report: WriterReport | undefined;
  try {
    await waitUntil(() => writer.count >= 100, { timeoutMs: 30_000, what: '100 writes before the fault' });
    await steps.fault(leader, candidate);
    steps.answered(await leader.request('POST', '/switchover', { leader: leader.name, candidate: candidate.name }));
    await waitUntil(async () => (await isInRecovery(candidate)) === false && (await cluster.leader())?.name === candidate.name, {
      timeoutMs: 60_000,
      what: () => `${candidate.name} to be the primary with the key\n${transcripts(cluster.members)}`,
    });
    await steps.promoted(leader, candidate);
    const written = writer.count;
    await waitUntil(() => writer.count >= written + 100, { timeoutMs: 30_000, what: '100 writes on the new primary' });
    report = await writer.stop();
  } finally {
    if (report === undefined) await writer.stop();
  }
  return { leader, candidate, missing: await missingWrites(candidate, table, report.acknowledged) };
}
