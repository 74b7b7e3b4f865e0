/**
 * Migration path (issue 13): pgwarden and Debian's real Patroni 3.0.2 in one
 * cluster on etcd. Three Patroni members bootstrap PostgreSQL 15 from a YAML
 * written for PostgreSQL < 13 (`wal_keep_segments`); one replica's Patroni is
 * stopped (SIGTERM, data kept) and pgwarden starts on the same YAML and data
 * directory, with PGWARDEN_PATRONI3_COMPAT=true. Then patronictl lists the
 * pgwarden member as a streaming replica and pgwardenctl lists Patroni's
 * members; leadership moves to the pgwarden member with patronictl and back
 * with pgwardenctl, while a writer runs throughout and loses no acknowledged
 * write.
 *
 * Every member runs through one wrapper: Patroni as the postgres user, or
 * pgwarden (as root; it runs PostgreSQL as postgres) once a marker file sits
 * beside the member's config. The wrapper execs, so the launcher's PID is the
 * agent's and everything is stopped by PID, also on failure.
 */
import { execFile } from 'node:child_process';
import { chownSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { clusterPasswords, defaultAgentCommand, makeTempDir, postgresUser, startPgwardenCluster, waitUntil, type PgwardenCluster, type PgwardenMember, type TempDir } from '@pgwarden/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadWriteWriter } from '../../daemon/test/e2e/writer.js';
import { ctl } from './helpers/run-ctl.js';

const PATRONI = '/usr/bin/patroni';
const PATRONICTL = '/usr/bin/patronictl';
const TABLE = 'mixed_writes';

interface Row {
  readonly Member: string;
  readonly Role: string;
  readonly State: string;
  readonly TL?: number;
  readonly 'Lag in MB'?: number | string;
}

let wrapperDir: TempDir | undefined;
let cluster: PgwardenCluster | undefined;
let writer: ReadWriteWriter | undefined;
let patroniLeader: PgwardenMember;
let converted: PgwardenMember;

function wrapperScript(): string[] {
  wrapperDir = makeTempDir('mixed-wrapper');
  const path = join(wrapperDir.path, 'agent.sh');
  const pgwarden = defaultAgentCommand.map((word) => `'${word}'`).join(' ');
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      'if [ -e "$1.pgwarden" ]; then',
      `  PGWARDEN_PATRONI3_COMPAT=true exec ${pgwarden} "$1"`,
      'fi',
      'cd /tmp || exit 1',
      `exec setpriv --reuid=postgres --regid=postgres --init-groups env HOME=/tmp ${PATRONI} "$1"`,
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o700);
  return ['/bin/sh', path];
}

async function patronictl(args: readonly string[]): Promise<string> {
  const run = await promisify(execFile)(PATRONICTL, ['-c', cluster!.members[0]!.configPath, ...args], { timeout: 60_000 });
  return run.stdout;
}

async function patronictlRows(): Promise<Row[]> {
  return JSON.parse(await patronictl(['list', '-f', 'json'])) as Row[];
}

async function pgwardenctlRows(): Promise<Row[]> {
  const run = await ctl(['-c', cluster!.members[0]!.configPath, 'list', '-f', 'json']);
  if (run.code !== 0) throw new Error(`pgwardenctl list failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Row[];
}

/** A leader running and both other members replicas that are running or streaming, with a known lag. */
function healthy(rows: readonly Row[], leader?: string): boolean {
  const current = rows.find((row) => row.Role === 'Leader');
  if (rows.length !== 3 || current?.State !== 'running' || (leader !== undefined && current.Member !== leader)) return false;
  return rows.every((row) => row === current || (row.Role === 'Replica' && ['running', 'streaming'].includes(row.State) && typeof row['Lag in MB'] === 'number'));
}

async function waitForRows(list: () => Promise<Row[]>, accept: (rows: Row[]) => boolean, what: string): Promise<Row[]> {
  let last: Row[] = [];
  try {
    return await waitUntil(
      async () => {
        last = await list().catch(() => []);
        return accept(last) ? last : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, what },
    );
  } catch (error) {
    throw new Error(`${String(error)}; last list: ${JSON.stringify(last)}`);
  }
}

async function writable(member: PgwardenMember): Promise<boolean> {
  const client = new pg.Client({ connectionString: member.connectionString(), connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query<{ recovery: boolean }>('SELECT pg_is_in_recovery() AS recovery')).rows[0]?.recovery === false;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function transcripts(): string {
  return (cluster?.members ?? []).map((member) => `--- ${member.name}\n${member.output().split('\n').slice(-30).join('\n')}`).join('\n');
}

beforeAll(async () => {
  cluster = await startPgwardenCluster({
    scope: 'mixed',
    start: 'none',
    agentCommand: wrapperScript(),
    configure: (_name, config) => {
      // A YAML written for PostgreSQL < 13: Patroni converts wal_keep_segments on 15, pgwarden must too.
      const bootstrap = config['bootstrap'] as { dcs: { postgresql: { parameters: Record<string, unknown> } } };
      const { wal_keep_size: _size, ...parameters } = bootstrap.dcs.postgresql.parameters;
      bootstrap.dcs.postgresql.parameters = { ...parameters, wal_keep_segments: 8 };
      // Patroni 3.0.2 logs plain text; the json log type is pgwarden's.
      return { ...config, log: { level: 'INFO' } };
    },
  });
  const user = postgresUser();
  for (const member of cluster.members) chownSync(member.configPath, user.uid, user.gid);
  try {
    await Promise.all(cluster.members.map((member) => member.start()));
    const rows = await waitForRows(patronictlRows, (list) => healthy(list), 'three Patroni members, one leader');
    const leaderName = rows.find((row) => row.Role === 'Leader')!.Member;
    patroniLeader = cluster.member(leaderName);
    converted = cluster.members.find((member) => member.name !== leaderName)!;
    const setup = new pg.Client({ connectionString: patroniLeader.connectionString() });
    await setup.connect();
    await setup.query(`CREATE TABLE ${TABLE} (id integer PRIMARY KEY)`);
    await setup.end();
    const { username, password } = clusterPasswords.superuser;
    writer = new ReadWriteWriter(cluster.members.map((member) => ({ port: member.pgPort })), { user: username, password }, TABLE);
    writer.start();
  } catch (error) {
    throw new Error(`${String(error)}\n${transcripts()}`);
  }
}, 200_000);

afterAll(async () => {
  await writer?.stop();
  await cluster?.stop();
  wrapperDir?.remove();
}, 120_000);

describe('pgwarden joins a Patroni 3.0.2 cluster on the same YAML and data directory', () => {
  it('a replica switched from Patroni to pgwarden is listed by patronictl as a streaming replica with a lag', async () => {
    await converted.stop(60_000);
    writeFileSync(`${converted.configPath}.pgwarden`, '');
    await converted.start();
    const rows = await waitForRows(patronictlRows, (list) => healthy(list, patroniLeader.name), 'patronictl listing the pgwarden member as a replica');
    const row = rows.find((entry) => entry.Member === converted.name);
    expect(row).toMatchObject({ Role: 'Replica' });
    expect(['running', 'streaming']).toContain(row?.State);
    expect(typeof row?.['Lag in MB']).toBe('number');
    expect(await converted.status()).toMatchObject({ role: 'replica', state: 'running' });
  }, 120_000);

  it("pgwardenctl lists Patroni's members, the Patroni leader as Leader", async () => {
    const rows = await waitForRows(pgwardenctlRows, (list) => healthy(list, patroniLeader.name), 'pgwardenctl listing the mixed cluster');
    expect(rows.map((row) => row.Member).sort()).toEqual(cluster!.members.map((member) => member.name).sort());
  }, 120_000);

  it('patronictl switches over from the Patroni leader to the pgwarden member', async () => {
    const startedAt = Date.now();
    await patronictl(['switchover', '--leader', patroniLeader.name, '--candidate', converted.name, '--force']);
    await waitUntil(() => writable(converted), { timeoutMs: 90_000, intervalMs: 100, what: `${converted.name} writable` });
    const writableMs = Date.now() - startedAt;
    const rows = await waitForRows(patronictlRows, (list) => healthy(list, converted.name), 'patronictl listing the pgwarden member as Leader');
    process.stdout.write(`patronictl switchover Patroni -> pgwarden: writable after ${writableMs} ms, list healthy after ${Date.now() - startedAt} ms\n`);
    expect(rows.find((row) => row.Role === 'Leader')?.Member).toBe(converted.name);
    expect(await converted.status()).toMatchObject({ role: 'master' });
  }, 150_000);

  it('pgwardenctl switches back from the pgwarden leader to the Patroni member', async () => {
    const startedAt = Date.now();
    const run = await ctl(['-c', converted.configPath, 'switchover', '--leader', converted.name, '--candidate', patroniLeader.name, '--force']);
    expect(run.code, run.stderr).toBe(0);
    await waitUntil(() => writable(patroniLeader), { timeoutMs: 90_000, intervalMs: 100, what: `${patroniLeader.name} writable` });
    const writableMs = Date.now() - startedAt;
    await waitForRows(pgwardenctlRows, (list) => healthy(list, patroniLeader.name), 'pgwardenctl listing the Patroni member as Leader again');
    const rows = await waitForRows(patronictlRows, (list) => healthy(list, patroniLeader.name), 'patronictl listing the pgwarden member as a replica again');
    process.stdout.write(`pgwardenctl switchover pgwarden -> Patroni: writable after ${writableMs} ms, list healthy after ${Date.now() - startedAt} ms\n`);
    expect(rows.find((row) => row.Member === converted.name)?.Role).toBe('Replica');
  }, 150_000);

  it('no write acknowledged during both switchovers is lost', async () => {
    const report = await writer!.stop();
    writer = undefined;
    process.stdout.write(`writer: ${report.acknowledged.length} acknowledged, ${report.failures} failed, longest gap ${report.longestGapMs} ms\n`);
    const client = new pg.Client({ connectionString: patroniLeader.connectionString() });
    await client.connect();
    const ids = new Set((await client.query<{ id: number }>(`SELECT id FROM ${TABLE}`)).rows.map((row) => row.id));
    await client.end();
    const lost = report.acknowledged.filter((id) => !ids.has(id));
    expect(report.acknowledged.length).toBeGreaterThan(0);
    expect(lost).toEqual([]);
  }, 60_000);
});
