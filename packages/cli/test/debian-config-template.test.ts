/**
 * Debian's generated Patroni configuration runs on pgwarden (issue 13):
 * /etc/patroni/config.yml.in of Debian's patroni 3.0.2, filled in as
 * pg_createconfig_patroni fills it (@VERSION@, @CLUSTER@, @HOSTNAME@,
 * @HOSTIP@, ports, @DCS_CONFIG@, @NETWORK@...), with only addresses, paths
 * and the DCS section chosen here. Everything else is Debian's: the cluster
 * is bootstrapped by the custom method `pg_createcluster` (Debian's
 * pg_createcluster_patroni), replicas are cloned by `pg_clonecluster`
 * (pg_clonecluster_patroni: pg_createcluster + pg_basebackup), the
 * configuration lives in `config_dir` /etc/postgresql/15/<cluster>, the agent
 * reaches PostgreSQL over the Unix socket with peer authentication (superuser
 * without a password, `use_unix_socket`), scope `15-<cluster>` under the
 * `/postgresql-common/` namespace.
 *
 * Debian's layout has one member per host: /etc/postgresql/15/<cluster> is the
 * same path on every member. Each member therefore runs in its own mount
 * namespace with a private /etc/postgresql (tmpfs owned by postgres), so the
 * three "hosts" do not share it and nothing is left in the real /etc. As with
 * Patroni on Debian, the agent runs as the postgres user (peer authentication
 * needs it).
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaultAgentCommand, postgresUser, startPgwardenCluster, waitUntil, type PgwardenCluster, type PgwardenMember } from '@pgwarden/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const TEMPLATE = '/etc/patroni/config.yml.in';
const PATRONICTL = '/usr/bin/patronictl';
const CLUSTER = `pgw${Math.random().toString(36).slice(2, 8)}`;
const SCOPE = `15-${CLUSTER}`;

type Tree = Record<string, any>;

function hostPort(address: string): [string, string] {
  const index = address.lastIndexOf(':');
  return [address.slice(0, index), address.slice(index + 1)];
}

/** The template filled in as pg_createconfig_patroni does; then only paths moved into the member's directory. */
function generated(name: string, planned: Tree): Tree {
  const [, apiPort] = hostPort(planned['restapi'].listen);
  const [, port] = hostPort(planned['postgresql'].listen);
  const memberDir = join(planned['postgresql'].data_dir, '..');
  const dcs = `etcd3:\n  hosts: ${(planned['etcd3'].hosts as string[]).join(',')}`;
  const text = readFileSync(TEMPLATE, 'utf8')
    .replaceAll('@VERSION@', '15')
    .replaceAll('@CLUSTER@', CLUSTER)
    .replaceAll('@HOSTNAME@', name)
    .replaceAll('@DCS_CONFIG@', dcs)
    .replaceAll('@HOSTIP@', '127.0.0.1')
    .replaceAll('@API_PORT@', apiPort)
    .replaceAll('@PORT@', port)
    .replaceAll('@DATADIR_BASE@', memberDir)
    .replaceAll('@NETWORK@', '127.0.0.1/32')
    .replaceAll('@LISTEN_VIP@', '');
  const config = parse(text, { version: '1.1' }) as Tree;
  // Paths that would be shared by three members on one host: into the member's own directory.
  config['postgresql'].data_dir = planned['postgresql'].data_dir;
  config['postgresql'].pgpass = join(memberDir, 'pgpass');
  config['postgresql'].parameters.log_directory = memberDir;
  return config;
}

/** A private /etc/postgresql (tmpfs owned by postgres) in a new mount namespace, then the agent as postgres. */
function agentCommand(): string[] {
  const user = postgresUser();
  const script = `mount -t tmpfs -o uid=${user.uid},gid=${user.gid},mode=0755 pgwarden-etc /etc/postgresql && exec setpriv --reuid=postgres --regid=postgres --init-groups env HOME=/tmp "$@"`;
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', ...defaultAgentCommand];
}

let cluster: PgwardenCluster;

function transcripts(): string {
  return cluster.members.map((member) => `--- ${member.name}\n${member.output().split('\n').slice(-25).join('\n')}`).join('\n');
}

/** psql as the postgres user over the Unix socket (peer authentication, as the template sets it up): rows as text. */
async function sql(member: PgwardenMember, text: string): Promise<string[]> {
  const run = await promisify(execFile)('runuser', ['-u', 'postgres', '--', '/usr/lib/postgresql/15/bin/psql', '-h', '/var/run/postgresql', '-p', String(member.pgPort), '-d', 'postgres', '-AtX', '-v', 'ON_ERROR_STOP=1', '-c', text], { timeout: 30_000 });
  return run.stdout.split('\n').filter((line) => line !== '');
}

beforeAll(async () => {
  cluster = await startPgwardenCluster({ start: 'none', agentCommand: agentCommand(), configure: (name, planned) => generated(name, planned) });
  const user = postgresUser();
  for (const member of cluster.members) chownSync(member.configPath, user.uid, user.gid);
  await Promise.all(cluster.members.map((member) => member.start()));
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  // pg_createcluster logs to Debian's shared log directory; remove what this run's cluster left there.
  for (const file of readdirSync('/var/log/postgresql')) if (file.startsWith(`postgresql-15-${CLUSTER}.log`)) rmSync(join('/var/log/postgresql', file), { force: true });
}, 120_000);

describe("Debian's generated configuration (pg_createconfig_patroni's template) on pgwarden", () => {
  let leader: PgwardenMember;
  let replicas: PgwardenMember[];

  it('bootstraps through pg_createcluster and clones the replicas through pg_clonecluster', async () => {
    try {
      leader = await cluster.waitForLeader({ timeoutMs: 150_000 });
      replicas = await cluster.waitForStreamingReplicas(2, { timeoutMs: 150_000 });
    } catch (error) {
      throw new Error(`${String(error)}\n${transcripts()}`);
    }
    const identity = (await leader.status())?.['patroni'] as Tree;
    expect(identity['scope']).toBe(SCOPE);
  }, 320_000);

  it('runs every member with its configuration in config_dir /etc/postgresql/15/<cluster>, reached over the socket with peer authentication', async () => {
    for (const member of cluster.members) {
      expect(await sql(member, "SELECT current_setting('config_file') || ' ' || current_setting('data_directory')")).toEqual([`/etc/postgresql/15/${CLUSTER}/postgresql.conf ${member.dataDir}`]);
      // Written by pg_createcluster --start-conf=manual (Debian's bootstrap and clone scripts), seen in the member's own /etc.
      expect(await sql(member, `SELECT pg_read_file('/etc/postgresql/15/${CLUSTER}/start.conf')`)).toContain('manual');
    }
    expect(existsSync(`/etc/postgresql/15/${CLUSTER}`)).toBe(false);
  });

  it('replicates a write to both replicas', async () => {
    await sql(leader, 'CREATE TABLE template_writes (id integer PRIMARY KEY)');
    await sql(leader, 'INSERT INTO template_writes SELECT generate_series(1, 50)');
    for (const replica of replicas) {
      await waitUntil(
        async () => ((await sql(replica, 'SELECT count(*) FROM template_writes').catch(() => []))[0] === '50' ? true : undefined),
        { timeoutMs: 30_000, intervalMs: 200, what: `the write on ${replica.name}` },
      );
    }
  }, 60_000);

  it("is listed by Debian's patronictl 3.0.2 from the same configuration file", async () => {
    const run = await promisify(execFile)(PATRONICTL, ['-c', cluster.members[0]!.configPath, 'list', '-f', 'json'], { timeout: 60_000 });
    const rows = JSON.parse(run.stdout) as Array<{ Member: string; Role: string; State: string; Cluster: string }>;
    expect(rows.map((row) => row.Member).sort()).toEqual(cluster.members.map((member) => member.name).sort());
    expect(rows.filter((row) => row.Role === 'Leader')).toHaveLength(1);
    expect(new Set(rows.map((row) => row.Cluster))).toEqual(new Set([SCOPE]));
  }, 90_000);
});
