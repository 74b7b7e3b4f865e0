/**
 * The example programs run as a user runs them (`node --import tsx FILE`),
 * against a real etcd holding a cluster written by the real etcd adapter (no
 * PostgreSQL: the members' keys say what they would say). The compile of
 * every example and README snippet is this package's `typecheck` (npm run lint).
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createEtcdDcs, type EtcdDcs } from '@pgwarden/dcs-etcd';
import { getFreePort, startEtcd, startProcess, waitUntil, type EtcdCluster, type TestProcess } from '@pgwarden/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const examples = dirname(dirname(fileURLToPath(import.meta.url)));
const NODE_ARGS = ['--conditions=pgwarden-source', '--import', 'tsx'];
const LEADER_LSN = 50_331_864;

let etcd: EtcdCluster;
const writers: EtcdDcs[] = [];
const processes: TestProcess[] = [];

async function runExample(file: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [...NODE_ARGS, join(examples, file), ...args], { cwd: examples, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

function startExample(file: string, args: readonly string[]): TestProcess {
  const started = startProcess(process.execPath, [...NODE_ARGS, join(examples, file), ...args], { cwd: examples });
  processes.push(started);
  return started;
}

function writer(name: string, scope: string): EtcdDcs {
  const dcs = createEtcdDcs({ scope, name, hosts: [...etcd.endpoints], ttlSeconds: 600, retryTimeoutSeconds: 5 });
  writers.push(dcs);
  return dcs;
}

/** node1 holds the lock; node2 streams level with it; node3 lags 5 MiB. */
async function seedCluster(scope: string): Promise<EtcdDcs> {
  const admin = writer('node1', scope);
  await admin.initialize({ createNew: true, sysid: '7380236651356719834' });
  await admin.setConfig({ ttl: 30, loop_wait: 10, retry_timeout: 10 });
  await admin.writeStatus({ optime: LEADER_LSN });
  const member = (port: number, role: string, lsn: number) => ({
    conn_url: `postgres://127.0.0.1:${6000 + port}/postgres`,
    api_url: `http://127.0.0.1:${8000 + port}/patroni`,
    state: 'running',
    role,
    version: '4.0.4',
    timeline: 1,
    xlog_location: lsn,
  });
  await admin.touchMember(member(1, 'primary', LEADER_LSN));
  await writer('node2', scope).touchMember(member(2, 'replica', LEADER_LSN));
  await writer('node3', scope).touchMember(member(3, 'replica', LEADER_LSN - 5 * 1_048_576));
  expect((await admin.acquireLeader()).kind).toBe('held');
  return admin;
}

/** The leader of scope `watched` is deleted by the watch test; `demo` stays as seeded. */
let watchedAdmin: EtcdDcs;
let etcdUrl: string;

beforeAll(async () => {
  etcd = await startEtcd();
  etcdUrl = etcd.endpoints[0]!;
  await seedCluster('demo');
  watchedAdmin = await seedCluster('watched');
});

afterAll(async () => {
  await Promise.all(processes.map((started) => started.stop()));
  await Promise.all(writers.map((dcs) => dcs.close()));
  await etcd?.stop();
});

describe('ask-decide (pure)', () => {
  it('prints the race: first the question for the peers, then the won lock and the promotion', async () => {
    const run = await runExample('ask-decide.ts', ['--situation', 'leader-gone']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('rule:    race.ask-peers');
    expect(run.stdout).toContain('rule:    race.won.promote');
    expect(run.stdout).toContain('actions: acquire-lock, promote');
  });

  it('names the lag limit when a lagging replica must not take over', async () => {
    const run = await runExample('ask-decide.ts', ['--situation', 'lagging-replica']);
    expect(run.stdout).toContain('rule:    race.not-healthiest');
    expect(run.stdout).toContain('reason:  My wal position exceeds maximum replication lag (20 MB > 1 MB)');
  });
});

describe('against a real etcd', () => {
  it('read-cluster prints the leader and each member with its lag', async () => {
    const run = await runExample('read-cluster.ts', ['--etcd', etcdUrl, '--scope', 'demo']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toEqual([
      'leader: node1',
      'node1\trole=primary\tstate=running\tlag=-',
      'node2\trole=replica\tstate=running\tlag=0 bytes',
      'node3\trole=replica\tstate=running\tlag=5 MB',
      '',
    ]);
  });

  it('read-cluster exits 1 with one line for a scope etcd does not hold', async () => {
    const run = await runExample('read-cluster.ts', ['--etcd', etcdUrl, '--scope', 'absent']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('no cluster absent under /service/ in etcd\n');
  });

  it('render-haproxy prints a config routing to every member, checked on its REST API', async () => {
    const run = await runExample('render-haproxy.ts', ['--etcd', etcdUrl, '--scope', 'demo', '--primary-port', '6432', '--replica-port', '6433']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/bind [^\n]*:6432/);
    expect(run.stdout).toMatch(/bind [^\n]*:6433/);
    for (const index of [1, 2, 3]) expect(run.stdout).toMatch(new RegExp(`server node${index} 127\\.0\\.0\\.1:600${index} .*port 800${index}`));
    expect(run.stdout).toContain('OPTIONS /primary');
  });

  it('serve-health answers the health checks of the member from what the DCS says about it', async () => {
    const port = await getFreePort();
    const server = startExample('serve-health.ts', ['--etcd', etcdUrl, '--scope', 'demo', '--name', 'node1', '--listen', `127.0.0.1:${port}`]);
    await waitUntil(() => server.output().includes('listening on'), { timeoutMs: 30_000, what: 'serve-health listening' });
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/primary`)).status).toBe(200);
    expect((await fetch(`${base}/replica`)).status).toBe(503);
    const cluster = (await (await fetch(`${base}/cluster`)).json()) as { members: { name: string; role: string }[] };
    expect(cluster.members.map((member) => `${member.name}:${member.role}`)).toEqual(['node1:leader', 'node2:replica', 'node3:replica']);
    await server.stop('SIGTERM');
    expect(await server.exited()).toBe(0);
  });

  it('watch-leader prints the leader, then its change, and exits after --max-changes', async () => {
    const watcher = startExample('watch-leader.ts', ['--etcd', etcdUrl, '--scope', 'watched', '--max-changes', '1', '--timeout-seconds', '30']);
    await waitUntil(() => watcher.output().includes('leader: node1\n'), { timeoutMs: 30_000, what: 'watch-leader started' });
    expect((await watchedAdmin.deleteLeader({})).ok).toBe(true);
    expect(await watcher.exited()).toBe(0);
    expect(watcher.output()).toBe('leader: node1\nleader: node1 -> (none)\n');
  });
});
