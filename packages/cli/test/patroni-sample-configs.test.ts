/**
 * Patroni's own published sample configurations run unchanged (issue 13):
 * Debian's patroni 3.0.2 ships the repository's postgres0.yml..postgres2.yml
 * in /usr/share/doc/patroni/examples. Three pgwarden agents start on them with
 * nothing changed but addresses (ports picked for this run), paths (data
 * directory, pgpass, bin_dir) and the DCS section (the samples name etcd's v2
 * API, `etcd:`; here etcd3 on a test etcd). Everything else is Patroni's:
 * names, scope, passwords, bootstrap.initdb (data checksums),
 * bootstrap.pg_hba appended to initdb's file, bootstrap.users, the rewind
 * user, unix_socket_directories '..' relative to the data directory, the
 * REST API credentials of postgresql2. The cluster bootstraps, both replicas
 * stream, a write reaches them, and Debian's patronictl lists it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { startPgwardenCluster, waitUntil, type PgwardenCluster, type PgwardenMember } from '@pgwarden/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const EXAMPLES = '/usr/share/doc/patroni/examples';
const PATRONICTL = '/usr/bin/patronictl';

type Tree = Record<string, any>;

/** The sample as Debian ships it (some files gzipped), read as PyYAML reads it (YAML 1.1). */
function sample(index: number): Tree {
  const plain = `${EXAMPLES}/postgres${index}.yml`;
  const text = existsSync(plain) ? readFileSync(plain, 'utf8') : gunzipSync(readFileSync(`${plain}.gz`)).toString('utf8');
  return parse(text, { version: '1.1' }) as Tree;
}

/** Only addresses, paths and the DCS section are taken from the test's own member plan. */
function adapt(index: number, planned: Tree): Tree {
  const config = sample(index);
  expect(config['etcd']).toBeDefined();
  delete config['etcd'];
  config['etcd3'] = planned['etcd3'];
  config['restapi'] = { ...config['restapi'], listen: planned['restapi'].listen, connect_address: planned['restapi'].connect_address };
  const postgresql = config['postgresql'];
  for (const key of ['listen', 'connect_address', 'data_dir', 'pgpass', 'bin_dir']) postgresql[key] = planned['postgresql'][key];
  return config;
}

let cluster: PgwardenCluster;
const samples = [sample(0), sample(1), sample(2)];
const superuser = samples[0]!['postgresql']['authentication']['superuser'] as { username: string; password: string };

function connect(member: PgwardenMember, user = superuser.username, password = superuser.password): pg.Client {
  const client = new pg.Client({ host: '127.0.0.1', port: member.pgPort, user, password, database: 'postgres', connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  return client;
}

async function query<T extends pg.QueryResultRow>(member: PgwardenMember, text: string, user?: string, password?: string): Promise<T[]> {
  const client = connect(member, user, password);
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

function transcripts(): string {
  return cluster.members.map((member) => `--- ${member.name}\n${member.output().split('\n').slice(-25).join('\n')}`).join('\n');
}

beforeAll(async () => {
  let index = 0;
  cluster = await startPgwardenCluster({ configure: (_name, planned) => adapt(index++, planned) });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
}, 120_000);

describe("Patroni's sample postgres0.yml..postgres2.yml (Debian's patroni 3.0.2) on pgwarden", () => {
  let leader: PgwardenMember;
  let replicas: PgwardenMember[];

  it('bootstrap a cluster named and scoped as the samples say: one leader, two streaming replicas', async () => {
    try {
      leader = await cluster.waitForLeader({ timeoutMs: 120_000 });
      replicas = await cluster.waitForStreamingReplicas(2, { timeoutMs: 120_000 });
    } catch (error) {
      throw new Error(`${String(error)}\n${transcripts()}`);
    }
    const identities = await Promise.all(cluster.members.map(async (member) => ((await member.status())?.['patroni'] ?? {}) as Tree));
    expect(identities.map((identity) => identity['scope'])).toEqual(['batman', 'batman', 'batman']);
    expect(identities.map((identity) => identity['name'])).toEqual(['postgresql0', 'postgresql1', 'postgresql2']);
  }, 150_000);

  it('honour bootstrap.initdb (data checksums), bootstrap.pg_hba and bootstrap.users, and create the rewind user', async () => {
    expect((await query<{ data_checksums: string }>(leader, 'SHOW data_checksums'))[0]?.data_checksums).toBe('on');
    const rules = await query<{ type: string; database: string[]; user_name: string[]; address: string | null; auth_method: string }>(
      leader,
      'SELECT type, database, user_name, address, auth_method FROM pg_hba_file_rules WHERE error IS NULL',
    );
    expect(rules).toContainEqual({ type: 'host', database: ['replication'], user_name: ['replicator'], address: '127.0.0.1', auth_method: 'md5' });
    expect(rules).toContainEqual({ type: 'host', database: ['all'], user_name: ['all'], address: '0.0.0.0', auth_method: 'md5' });
    const admin = samples[0]!['bootstrap']['users']['admin'] as { password: string };
    const roles = await query<{ rolname: string; rolcreaterole: boolean; rolcreatedb: boolean }>(
      leader,
      "SELECT rolname, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname IN ('admin', 'rewind_user', 'replicator') ORDER BY rolname",
    );
    expect(roles.map((role) => role.rolname)).toEqual(['admin', 'replicator', 'rewind_user']);
    expect(roles[0]).toMatchObject({ rolcreaterole: true, rolcreatedb: true });
    // The sample's password (with its '%') works over md5 from 127.0.0.1.
    expect((await query<{ user: string }>(leader, 'SELECT current_user AS user', 'admin', admin.password))[0]?.user).toBe('admin');
  });

  it('replicate a write to both replicas, read back with the sample credentials', async () => {
    await query(leader, 'CREATE TABLE sample_writes (id integer PRIMARY KEY)');
    await query(leader, 'INSERT INTO sample_writes SELECT generate_series(1, 100)');
    for (const replica of replicas) {
      await waitUntil(
        async () => {
          const rows = await query<{ count: string }>(replica, 'SELECT count(*) AS count FROM sample_writes').catch(() => []);
          return rows[0]?.count === '100' ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200, what: `the write on ${replica.name}` },
      );
    }
  }, 60_000);

  it("are listed by Debian's patronictl 3.0.2 pointed at the same configuration", async () => {
    const run = await promisify(execFile)(PATRONICTL, ['-c', cluster.members[0]!.configPath, 'list', '-f', 'json'], { timeout: 60_000 });
    const rows = JSON.parse(run.stdout) as Array<{ Member: string; Role: string; State: string; Cluster: string }>;
    expect(rows.map((row) => row.Member).sort()).toEqual(['postgresql0', 'postgresql1', 'postgresql2']);
    expect(rows.find((row) => row.Role === 'Leader')?.Member).toBe(((await leader.status())?.['patroni'] as Tree)['name']);
    // patronictl 3.0.2 shows a replica as `running` or `streaming`, depending on what the member publishes.
    expect(rows.filter((row) => row.Role === 'Replica' && ['running', 'streaming'].includes(row.State)), JSON.stringify(rows)).toHaveLength(2);
    expect(new Set(rows.map((row) => row.Cluster))).toEqual(new Set(['batman']));
  }, 90_000);
});
