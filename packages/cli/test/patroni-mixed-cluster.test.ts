/**
 * Migration path (issue 13): pgwarden and Debian's real Patroni 3.0.2 in one
 * cluster on etcd. Three Patroni members bootstrap PostgreSQL 15 from a YAML
 * written for PostgreSQL < 13 (`wal_keep_segments`); one replica's Patroni is
 * stopped (SIGTERM, data kept) and pgwarden starts on the same YAML and data
 * directory, with PGWARDEN_PATRONI3_COMPAT=true. Then patronictl lists the
 * pgwarden member as a streaming replica and pgwardenctl lists Patroni's
 * members; leadership moves to the pgwarden member with patronictl and back
 * with pgwardenctl. Then the leader's manager and postmaster are SIGKILLed,
 * first on a Patroni leader, then on the pgwarden leader: another member takes
 * over by itself and the killed one, its manager restarted, rejoins as a
 * replica. Maintenance mode set by pgwardenctl is seen by patronictl and
 * lifted by it; a parameter changed with either CLI's edit-config reaches
 * every member. The rollback path follows: pgwarden stops and Patroni starts
 * again on the same YAML and data directory, and rejoins. Last, the whole
 * cluster moves to pgwarden member by member, the leader after a switchover.
 * A writer runs throughout and loses no acknowledged write: the cluster runs
 * in synchronous mode with both replicas synchronous (synchronous_node_count 2), so any
 * member may take over without losing a commit, and any may be a switchover
 * candidate.
 *
 * Every member runs through one wrapper: Patroni as the postgres user, or
 * pgwarden (as root; it runs PostgreSQL as postgres) once a marker file sits
 * beside the member's config. The wrapper execs, so the launcher's PID is the
 * agent's and everything is stopped by PID, also on failure.
 */
import { execFile } from 'node:child_process';
import { chownSync, chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
/** The member leading now, as the last test left it. */
let current: PgwardenMember;

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

/**
 * A leader running and both other members synchronous standbys that are
 * running or streaming, with a known lag: then any of them may take over
 * without losing a commit, and any may be a switchover candidate.
 */
function healthy(rows: readonly Row[], leader?: string): boolean {
  const current = rows.find((row) => row.Role === 'Leader');
  if (rows.length !== 3 || current?.State !== 'running' || (leader !== undefined && current.Member !== leader)) return false;
  return rows.every((row) => row === current || (row.Role === 'Sync Standby' && ['running', 'streaming'].includes(row.State) && typeof row['Lag in MB'] === 'number'));
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

/** A live process with this PID (not a zombie, not dead). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+[ZX]/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * The process is gone within 10 s: a SIGKILLed process takes a moment to be
 * torn down (its /proc entry loses cwd before its state says so; a CI run
 * checked once in that moment and saw it still there).
 */
async function gone(pid: number): Promise<boolean> {
  try {
    await waitUntil(() => (alive(pid) ? undefined : true), { timeoutMs: 10_000, intervalMs: 20, what: `process ${pid} to exit` });
    return true;
  } catch {
    return false;
  }
}

async function writableMembers(members: readonly PgwardenMember[] = cluster!.members): Promise<PgwardenMember[]> {
  const flags = await Promise.all(members.map(writable));
  return members.filter((_member, index) => flags[index]);
}

/**
 * SIGKILL the leader's manager and then its postmaster, prove both are gone,
 * and wait for another member to become writable by itself. Resolves with the
 * new primary, the only writable member.
 */
async function killLeader(victim: PgwardenMember, label: string): Promise<PgwardenMember> {
  const agentPid = victim.agentPid();
  const postmasterPid = victim.postmasterPid();
  expect(agentPid, `${victim.name}'s manager runs`).toBeDefined();
  expect(postmasterPid, `${victim.name}'s postmaster runs`).toBeDefined();
  expect(await writable(victim)).toBe(true);
  const startedAt = Date.now();
  await victim.kill();
  await victim.killPostmaster('SIGKILL');
  expect(await gone(agentPid!), `manager ${agentPid} gone`).toBe(true);
  expect(await gone(postmasterPid!), `postmaster ${postmasterPid} gone`).toBe(true);
  const others = cluster!.members.filter((member) => member !== victim);
  const primaries = await waitUntil(async () => {
    const found = await writableMembers(others);
    return found.length > 0 ? found : undefined;
  }, { timeoutMs: 90_000, intervalMs: 100, what: `a writable primary after killing ${victim.name}` });
  process.stdout.write(`failover, ${label} killed: ${primaries.map((member) => member.name).join(',')} writable after ${Date.now() - startedAt} ms\n`);
  expect(primaries).toHaveLength(1);
  expect(victim.postmasterPid()).toBeUndefined();
  return primaries[0]!;
}

/** Restart the killed member's manager; it rejoins as a synchronous standby of `leader`, the only writable member. */
async function rejoin(victim: PgwardenMember, leader: PgwardenMember): Promise<void> {
  const startedAt = Date.now();
  await victim.start();
  const rows = await waitForRows(patronictlRows, (list) => healthy(list, leader.name), `${victim.name} rejoining under ${leader.name}`);
  process.stdout.write(`${victim.name} rejoined as a replica ${Date.now() - startedAt} ms after its restart\n`);
  expect(rows.find((row) => row.Member === victim.name)?.Role).toBe('Sync Standby');
  expect((await writableMembers()).map((member) => member.name)).toEqual([leader.name]);
  await waitForRows(pgwardenctlRows, (list) => healthy(list, leader.name), 'pgwardenctl listing the same');
}

/** Stop a member's Patroni (data kept) and start pgwarden on the same YAML and data directory. */
async function convert(member: PgwardenMember): Promise<void> {
  await member.stop(60_000);
  writeFileSync(`${member.configPath}.pgwarden`, '');
  await member.start();
}

/** Every member runs PostgreSQL with `name` = `value` (a change through /config reached it). */
async function waitForSetting(name: string, value: string): Promise<void> {
  const seen = new Map<string, string>();
  try {
    await waitUntil(
      async () => {
        for (const member of cluster!.members) {
          const client = new pg.Client({ connectionString: member.connectionString(), connectionTimeoutMillis: 2000 });
          client.on('error', () => undefined);
          try {
            await client.connect();
            seen.set(member.name, (await client.query<{ value: string }>(`SELECT pg_catalog.current_setting('${name}') AS value`)).rows[0]?.value ?? '');
          } catch {
            seen.set(member.name, '(unreachable)');
          } finally {
            await client.end().catch(() => undefined);
          }
        }
        return [...seen.values()].every((seenValue) => seenValue === value) && seen.size === cluster!.members.length ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: `${name} = ${value} on every member` },
    );
  } catch (error) {
    throw new Error(`${String(error)}; seen: ${JSON.stringify(Object.fromEntries(seen))}`);
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
      // Both replicas synchronous: a failover by SIGKILL loses no acknowledged write, whoever wins.
      Object.assign(bootstrap.dcs, { synchronous_mode: true, synchronous_node_count: 2 });
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
    expect(row).toMatchObject({ Role: 'Sync Standby' });
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
    expect(rows.find((row) => row.Member === converted.name)?.Role).toBe('Sync Standby');
    current = patroniLeader;
  }, 150_000);

  it('a Patroni leader whose manager and postmaster are SIGKILLed is replaced by another member; restarted, it rejoins as a replica', async () => {
    try {
      current = await killLeader(patroniLeader, 'Patroni leader');
      await rejoin(patroniLeader, current);
    } catch (error) {
      throw new Error(`${String(error)}\n${transcripts()}`);
    }
  }, 240_000);

  it('the pgwarden member as leader, SIGKILLed with its postmaster, is replaced by a Patroni member; restarted, it rejoins as a replica', async () => {
    try {
      if (current !== converted) {
        const run = await ctl(['-c', converted.configPath, 'switchover', '--leader', current.name, '--candidate', converted.name, '--force']);
        expect(run.code, run.stderr).toBe(0);
        await waitForRows(patronictlRows, (list) => healthy(list, converted.name), 'the pgwarden member leading');
      }
      current = await killLeader(converted, 'pgwarden leader');
      await rejoin(converted, current);
      expect(await converted.status()).toMatchObject({ role: 'replica', state: 'running' });
    } catch (error) {
      throw new Error(`${String(error)}\n${transcripts()}`);
    }
  }, 240_000);

  it('maintenance mode set by pgwardenctl is shown by patronictl and lifted by it', async () => {
    const paused = await ctl(['-c', converted.configPath, 'pause', '--wait']);
    expect(paused.code, paused.stderr).toBe(0);
    expect(await patronictl(['list'])).toContain('Maintenance mode: on');
    expect(await converted.status()).toMatchObject({ pause: true });
    await patronictl(['resume', '--wait']);
    const listed = await ctl(['-c', converted.configPath, 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain('Maintenance mode');
    expect((await converted.status())?.['pause']).toBeUndefined();
  }, 120_000);

  it('edit-config: a parameter set with pgwardenctl reaches every member, Patroni ones included, and one set with patronictl reaches the pgwarden member', async () => {
    const run = await ctl(['-c', converted.configPath, 'edit-config', '--pg', 'work_mem=7MB', '--force']);
    expect(run.code, run.stderr).toBe(0);
    await waitForSetting('work_mem', '7MB');
    await patronictl(['edit-config', '--pg', 'work_mem=9MB', '--force']);
    await waitForSetting('work_mem', '9MB');
  }, 120_000);

  it('rollback: the pgwarden member stopped, Patroni starts again on the same YAML and data directory and rejoins as a replica', async () => {
    const startedAt = Date.now();
    await converted.stop(60_000);
    rmSync(`${converted.configPath}.pgwarden`);
    await converted.start();
    expect(readFileSync(`/proc/${converted.agentPid()}/cmdline`, 'utf8')).toContain(PATRONI);
    const rows = await waitForRows(patronictlRows, (list) => healthy(list, current.name), 'Patroni back on the converted member, a replica');
    process.stdout.write(`rollback: Patroni lists ${converted.name} as a replica ${Date.now() - startedAt} ms after pgwarden's stop\n`);
    const row = rows.find((entry) => entry.Member === converted.name);
    expect(row?.Role).toBe('Sync Standby');
    expect(['running', 'streaming']).toContain(row?.State);
    expect(await converted.status()).toMatchObject({ role: 'replica', state: 'running' });
  }, 150_000);

  it('the whole cluster moves to pgwarden member by member, the leader last after a switchover, the writer running', async () => {
    try {
      for (const member of cluster!.members.filter((candidate) => candidate !== current)) {
        const startedAt = Date.now();
        await convert(member);
        await waitForRows(patronictlRows, (list) => healthy(list, current.name), `${member.name} back as a replica under pgwarden`);
        process.stdout.write(`migration: ${member.name} on pgwarden, listed healthy ${Date.now() - startedAt} ms after its Patroni stopped\n`);
      }
      const oldLeader = current;
      const target = cluster!.members.find((member) => member !== oldLeader)!;
      const startedAt = Date.now();
      const run = await ctl(['-c', target.configPath, 'switchover', '--leader', oldLeader.name, '--candidate', target.name, '--force']);
      expect(run.code, run.stderr).toBe(0);
      await waitUntil(() => writable(target), { timeoutMs: 90_000, intervalMs: 100, what: `${target.name} writable` });
      process.stdout.write(`migration: switchover Patroni ${oldLeader.name} -> pgwarden ${target.name}: writable after ${Date.now() - startedAt} ms\n`);
      current = target;
      await waitForRows(pgwardenctlRows, (list) => healthy(list, target.name), 'the pgwarden member leading');
      await convert(oldLeader);
      const rows = await waitForRows(pgwardenctlRows, (list) => healthy(list, target.name), 'three pgwarden members');
      expect(rows.map((row) => row.Member).sort()).toEqual(cluster!.members.map((member) => member.name).sort());
      for (const member of cluster!.members) expect(readFileSync(`/proc/${member.agentPid()}/cmdline`, 'utf8')).not.toContain(PATRONI);
      expect((await writableMembers()).map((member) => member.name)).toEqual([target.name]);
    } catch (error) {
      throw new Error(`${String(error)}\n${transcripts()}`);
    }
  }, 400_000);

  it('no write acknowledged during the switchovers and failovers is lost', async () => {
    const report = await writer!.stop();
    writer = undefined;
    process.stdout.write(`writer: ${report.acknowledged.length} acknowledged, ${report.failures} failed, longest gap ${report.longestGapMs} ms\n`);
    const client = new pg.Client({ connectionString: current.connectionString() });
    await client.connect();
    const ids = new Set((await client.query<{ id: number }>(`SELECT id FROM ${TABLE}`)).rows.map((row) => row.id));
    await client.end();
    const lost = report.acknowledged.filter((id) => !ids.has(id));
    expect(report.acknowledged.length).toBeGreaterThan(0);
    expect(lost).toEqual([]);
  }, 60_000);
});
