/**
 * A real HAProxy in front of a real pgwarden cluster (etcd, agents running
 * the `pgwarden` bin, PostgreSQL 15): the configuration is rendered from the
 * cluster as etcd holds it, read through createEtcdDcs, and the watcher
 * follows that same DCS. What an operator relies on: the primary port leads
 * to the primary, also after a switchover; the replica port never leads to
 * the primary; a member that joins is in the reloaded configuration.
 *
 * Which member served a connection is asked of PostgreSQL itself
 * (`current_setting('port')`, `pg_is_in_recovery()`), not of HAProxy.
 * HAPROXY_GEN_TIMINGS=1 prints the measured figures.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEtcdDcs, type EtcdDcs } from '@pgwarden/dcs-etcd';
import {
  clusterPasswords,
  getFreePorts,
  makeTempDir,
  startHaproxy,
  startPgwardenCluster,
  waitUntil,
  type HaproxyInstance,
  type PgwardenCluster,
  type PgwardenMember,
  type TempDir,
} from '@pgwarden/testkit';
import { renderHaproxyConfig, startHaproxyWatcher, type HaproxyGenLogger, type HaproxyOptionsInput, type HaproxyWatcher } from '../src/index.js';

const INTERVAL_MS = 1_000;
const FALL = 2;
const RISE = 1;
/** HAProxy's share of a switchover: the old primary marked down after FALL checks, the new one up after RISE, one interval of phase, a margin for a loaded machine. */
const HAPROXY_SWITCH_BOUND_MS = INTERVAL_MS * (FALL + RISE + 1) + 4_000;
/** The whole switchover seen through HAProxy, from the request to steady routing (the agents' part included). */
const SWITCHOVER_BOUND_MS = 60_000;

interface Served {
  readonly port: number;
  readonly recovery: boolean;
}

interface Sample {
  readonly atMs: number;
  readonly served?: Served;
  readonly error?: string;
}

const measured: Record<string, number | string> = {};
const watcherLog: string[] = [];

let cluster: PgwardenCluster | undefined;
let haproxy: HaproxyInstance | undefined;
let watcher: HaproxyWatcher | undefined;
let dcs: EtcdDcs | undefined;
let dir: TempDir | undefined;
let configPath = '';
let primaryPort = 0;
let replicaPort = 0;

const recordingLogger: HaproxyGenLogger = {
  debug: () => undefined,
  info: (fields, message) => void watcherLog.push(`info ${message} ${JSON.stringify(fields)}`),
  warn: (fields, message) => void watcherLog.push(`warn ${message} ${JSON.stringify(fields)}`),
  error: (fields, message) => void watcherLog.push(`error ${message} ${JSON.stringify(fields)}`),
};

function haproxyOptions(tempDir: TempDir): HaproxyOptionsInput {
  return {
    clusterName: cluster?.scope ?? 'pgwarden',
    bindAddress: '127.0.0.1',
    primary: { port: primaryPort },
    replicas: { port: replicaPort },
    healthCheck: { interval: `${INTERVAL_MS}ms`, fall: FALL, rise: RISE },
    adminSocket: join(tempDir.path, 'admin.sock'),
    serverStateFile: join(tempDir.path, 'server-state'),
  };
}

/** Open one new session through `port` and ask PostgreSQL which member it is. */
async function whoServes(port: number, timeoutMs = 3_000): Promise<Served> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: clusterPasswords.superuser.username,
    password: clusterPasswords.superuser.password,
    database: 'postgres',
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const rows = (await client.query<{ recovery: boolean; port: string }>("SELECT pg_is_in_recovery() AS recovery, current_setting('port') AS port")).rows;
    const row = rows[0];
    if (row === undefined) throw new Error('no row');
    return { port: Number(row.port), recovery: row.recovery };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function sample(port: number, startedAt: number): Promise<Sample> {
  try {
    return { atMs: Date.now() - startedAt, served: await whoServes(port, 2_000) };
  } catch (error) {
    return { atMs: Date.now() - startedAt, error: error instanceof Error ? error.message : String(error) };
  }
}

async function execThrough(port: number, text: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: clusterPasswords.superuser.username, password: clusterPasswords.superuser.password, database: 'postgres', connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Ask the HAProxy admin socket for `show stat`: server name → status, for one backend. */
function serverStatuses(socketPath: string, backend: string): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let answer = '';
    socket.setTimeout(3_000, () => socket.destroy(new Error('admin socket timed out')));
    socket.on('connect', () => socket.end('show stat\n'));
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const [header = '', ...lines] = answer.split('\n');
      const columns = header.replace(/^# /, '').split(',');
      const statusAt = columns.indexOf('status');
      const statuses = new Map<string, string>();
      for (const line of lines) {
        const fields = line.split(',');
        if (fields[0] === backend && fields[1] !== 'BACKEND' && fields[1] !== 'FRONTEND' && fields[1] !== undefined) statuses.set(fields[1], fields[statusAt] ?? '');
      }
      resolve(statuses);
    });
  });
}

/** Until the primary backend has only `leader` UP and the replicas backend has every other running member UP and not `leader`. */
async function waitForRouting(adminSocket: string, leader: string, running: readonly string[]): Promise<void> {
  let last = '';
  await waitUntil(
    async () => {
      const primary = await serverStatuses(adminSocket, 'pgwarden_primary');
      const replicas = await serverStatuses(adminSocket, 'pgwarden_replicas');
      last = JSON.stringify({ primary: [...primary], replicas: [...replicas] });
      return running.every((name) => (primary.get(name) === 'UP') === (name === leader) && (replicas.get(name) === 'UP') === (name !== leader));
    },
    { timeoutMs: 20_000, intervalMs: 100, what: `HAProxy to route to ${leader} as primary` },
  ).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; last: ${last}`);
  });
}

async function startMembers(running: PgwardenCluster, names: readonly string[]): Promise<PgwardenMember> {
  await Promise.all(names.map((name) => running.member(name).start()));
  const leader = await running.waitForLeader({ timeoutMs: 90_000 });
  await running.waitForStreamingReplicas(names.length - 1, { timeoutMs: 90_000 });
  return leader;
}

function diagnostics(): string {
  const agents = (cluster?.members ?? []).map((member) => `--- ${member.name}\n${member.output().split('\n').slice(-15).join('\n')}`).join('\n');
  return `watcher: ${watcherLog.slice(-10).join('\n')}\n${agents}`;
}

describe('HAProxy in front of a real three-member pgwarden cluster, configured from etcd by the watcher', () => {
  beforeAll(async () => {
    // Four members planned, three started: the fourth joins later as an added member.
    cluster = await startPgwardenCluster({ size: 4, start: 'none', ttl: 20, loopWait: 2, retryTimeout: 5 });
    const startedAt = Date.now();
    await startMembers(cluster, ['node1', 'node2', 'node3']);
    measured['clusterReadyMs'] = Date.now() - startedAt;

    dir = makeTempDir('haproxy-gen-cluster-e2e');
    [primaryPort = 0, replicaPort = 0] = await getFreePorts(2);
    dcs = createEtcdDcs({ scope: cluster.scope, namespace: cluster.namespace, name: 'haproxy-gen-e2e', hosts: [...cluster.etcd.endpoints], retryTimeoutSeconds: 5 });
    const read = await dcs.getCluster();
    if (!read.ok) throw new Error(`cannot read the cluster from etcd: ${read.message}`);
    configPath = join(dir.path, 'haproxy.cfg');
    writeFileSync(configPath, renderHaproxyConfig(read.value, haproxyOptions(dir)));
    haproxy = await startHaproxy({ configPath });
    watcher = startHaproxyWatcher({
      dcs,
      haproxy: haproxyOptions(dir),
      install: { path: configPath, reload: { method: 'signal', pid: haproxy.pid } },
      masterSocket: haproxy.masterSocket,
      logger: recordingLogger,
      pollIntervalMs: 1_000,
    });
    // A fresh HAProxy deems every server UP until its first check: wait until the checks have spoken in both backends.
    const leader = await cluster.waitForLeader();
    await waitForRouting(join(dir.path, 'admin.sock'), leader.name, ['node1', 'node2', 'node3']);
    measured['watcherInstallsAtStart'] = watcher.status().installs;
  }, 150_000);

  afterAll(async () => {
    if (process.env['HAPROXY_GEN_TIMINGS']) process.stdout.write(`haproxy-gen cluster e2e: ${JSON.stringify(measured)}\n`);
    await watcher?.stop().catch(() => undefined);
    await dcs?.close().catch(() => undefined);
    await haproxy?.stop().catch(() => undefined);
    await cluster?.stop();
    dir?.remove();
  }, 120_000);

  it('the rendered configuration names every running member with its PostgreSQL and REST ports', () => {
    const text = readFileSync(configPath, 'utf8');
    for (const name of ['node1', 'node2', 'node3']) {
      const member = cluster!.member(name);
      expect(text).toContain(`server ${name} 127.0.0.1:${member.pgPort} check addr 127.0.0.1 port ${member.apiPort}`);
    }
    expect(text).not.toContain('server node4');
  });

  it('writes through the primary port reach the primary', async () => {
    const leader = await cluster!.waitForLeader();
    for (let round = 0; round < 5; round++) {
      expect(await whoServes(primaryPort)).toEqual({ port: leader.pgPort, recovery: false });
    }
    await execThrough(primaryPort, 'CREATE TABLE through_haproxy (id serial PRIMARY KEY, at timestamptz DEFAULT now())');
    await execThrough(primaryPort, 'INSERT INTO through_haproxy DEFAULT VALUES');
  });

  it('reads through the replica port never reach the primary (20 sessions)', async () => {
    const leader = await cluster!.waitForLeader();
    const replicaPorts = new Set(cluster!.members.filter((member) => member !== leader && member.running()).map((member) => member.pgPort));
    const reached = new Set<number>();
    for (let round = 0; round < 20; round++) {
      const served = await whoServes(replicaPort);
      expect(served.recovery).toBe(true);
      expect(served.port).not.toBe(leader.pgPort);
      expect(replicaPorts.has(served.port)).toBe(true);
      reached.add(served.port);
    }
    measured['replicasReachedOf20'] = reached.size;
  });

  it('after a switchover through the REST API, new primary-port sessions reach the new primary and no longer the old one', async () => {
    const oldLeader = await cluster!.waitForLeader();
    const candidate = cluster!.members.find((member) => member !== oldLeader && member.running())!;
    const startedAt = Date.now();
    let done = false;
    let promotedAtMs: number | undefined;
    const directProbe = (async () => {
      while (!done && promotedAtMs === undefined) {
        const served = await whoServes(candidate.pgPort, 1_000).catch(() => undefined);
        if (served?.recovery === false) promotedAtMs = Date.now() - startedAt;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const samples: Sample[] = [];
    const throughProbe = (async () => {
      // Steady: five new sessions in a row on the candidate, writable.
      let streak = 0;
      while (streak < 5 && Date.now() - startedAt < SWITCHOVER_BOUND_MS) {
        const next = await sample(primaryPort, startedAt);
        samples.push(next);
        streak = next.served?.port === candidate.pgPort && !next.served.recovery ? streak + 1 : 0;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    // Reads during the switchover: how long the replica port still hands sessions to the promoted member.
    const readSamples: Sample[] = [];
    const readProbe = (async () => {
      while (!done) {
        readSamples.push(await sample(replicaPort, startedAt));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    const answer = await oldLeader.request('POST', '/switchover', { leader: oldLeader.name, candidate: candidate.name });
    measured['switchoverRequestAnsweredMs'] = Date.now() - startedAt;
    expect(answer.status, `${answer.body}\n${diagnostics()}`).toBe(200);
    await throughProbe;
    done = true;
    await directProbe;
    await readProbe;

    const onCandidate = (entry: Sample): boolean => entry.served?.port === candidate.pgPort && !entry.served.recovery;
    const firstOnCandidate = samples.find(onCandidate);
    const lastOnOld = [...samples].reverse().find((entry) => entry.served?.port === oldLeader.pgPort);
    const steadySince = samples[samples.length - 5];
    measured['promotedDirectMs'] = promotedAtMs ?? -1;
    measured['firstNewPrimaryThroughHaproxyMs'] = firstOnCandidate?.atMs ?? -1;
    measured['steadyNewPrimaryThroughHaproxyMs'] = steadySince?.atMs ?? -1;
    measured['lastOldPrimaryThroughHaproxyMs'] = lastOnOld?.atMs ?? -1;
    measured['haproxyLagAfterPromotionMs'] = (steadySince?.atMs ?? 0) - (promotedAtMs ?? 0);
    measured['failedSessionsDuringSwitchover'] = samples.filter((entry) => entry.error !== undefined).length;
    measured['readOnlySessionsOnPrimaryPort'] = samples.filter((entry) => entry.served?.recovery === true).length;
    measured['switchoverSamples'] = samples.length;
    const readsOnPrimary = readSamples.filter((entry) => entry.served?.recovery === false);
    measured['replicaPortSessionsOnAPrimary'] = `${readsOnPrimary.length}/${readSamples.length}`;
    measured['replicaPortLastOnAPrimaryMs'] = readsOnPrimary[readsOnPrimary.length - 1]?.atMs ?? -1;

    expect(steadySince !== undefined && onCandidate(steadySince), `${JSON.stringify(samples.slice(-10))}\n${diagnostics()}`).toBe(true);
    expect(steadySince!.atMs).toBeLessThanOrEqual(SWITCHOVER_BOUND_MS);
    expect(promotedAtMs).toBeDefined();
    expect(steadySince!.atMs - promotedAtMs!).toBeLessThanOrEqual(HAPROXY_SWITCH_BOUND_MS);
    // Once steady, the old primary is no longer reached and writes go through.
    for (let round = 0; round < 10; round++) {
      const served = await whoServes(primaryPort);
      expect(served.port).not.toBe(oldLeader.pgPort);
      expect(served).toEqual({ port: candidate.pgPort, recovery: false });
    }
    await execThrough(primaryPort, 'INSERT INTO through_haproxy DEFAULT VALUES');
    expect((await cluster!.leader())?.name).toBe(candidate.name);
  }, 90_000);

  it('after the switchover, reads through the replica port settle on the replicas and never the new primary (20 sessions)', async () => {
    const leader = await cluster!.waitForLeader();
    await cluster!.waitForStreamingReplicas(2, { timeoutMs: 60_000 });
    const adminSocket = join(dir!.path, 'admin.sock');
    const settledAt = Date.now();
    await waitUntil(async () => (await serverStatuses(adminSocket, 'pgwarden_replicas')).get(leader.name)?.startsWith('DOWN') === true, {
      timeoutMs: HAPROXY_SWITCH_BOUND_MS,
      what: `${leader.name} marked down in the replicas backend`,
    });
    measured['newPrimaryOutOfReplicasAfterStreamingMs'] = Date.now() - settledAt;
    for (let round = 0; round < 20; round++) {
      const served = await whoServes(replicaPort);
      expect(served.port).not.toBe(leader.pgPort);
      expect(served.recovery).toBe(true);
    }
  }, 90_000);

  it('a member that joins the cluster appears in the reloaded configuration and serves reads once it streams', async () => {
    const joining = cluster!.member('node4');
    const workerBefore = (await haproxy!.workers()).find((worker) => worker.generation === 'current')?.pid;
    const startedAt = Date.now();
    await joining.start();
    const line = `server node4 127.0.0.1:${joining.pgPort} check addr 127.0.0.1 port ${joining.apiPort}`;
    await waitUntil(() => readFileSync(configPath, 'utf8').includes(line), { timeoutMs: 30_000, what: `node4 in ${configPath}\n${diagnostics()}` });
    measured['memberInConfigMs'] = Date.now() - startedAt;
    const workerAfter = await haproxy!.waitForNewWorker(workerBefore, 15_000);
    expect(workerAfter).not.toBe(workerBefore);
    expect(watcher!.status().lastError).toBeUndefined();
    // The reloaded HAProxy knows the member and, once it streams, its /replica check lets it serve reads.
    const adminSocket = join(dir!.path, 'admin.sock');
    await waitUntil(async () => (await serverStatuses(adminSocket, 'pgwarden_replicas')).get('node4') === 'UP', { timeoutMs: 60_000, what: 'node4 UP in the replicas backend' });
    measured['memberServesReadsMs'] = Date.now() - startedAt;
    expect((await serverStatuses(adminSocket, 'pgwarden_primary')).get('node4')).toMatch(/^DOWN/);
  }, 90_000);
});
