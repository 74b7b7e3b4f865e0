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
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEtcdDcs, type EtcdDcs } from '@pgwarden/dcs-etcd';
import {
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
import { execThrough, sampleSwitchover, serverStatuses, waitForRouting, whoServes, type Sample, type SwitchoverSamples } from './support/cluster-probes.js';
import { renderHaproxyConfig, startHaproxyWatcher, type HaproxyGenLogger, type HaproxyOptionsInput, type HaproxyWatcher } from '../src/index.js';

const INTERVAL_MS = 1_000;
const FALL = 2;
const RISE = 1;
/** HAProxy's share of a switchover: the old primary marked down after FALL checks, the new one up after RISE, one interval of phase, a margin for a loaded machine. */
const HAPROXY_SWITCH_BOUND_MS = INTERVAL_MS * (FALL + RISE + 1) + 4_000;
/** The whole switchover seen through HAProxy, from the request to steady routing (the agents' part included). */
const SWITCHOVER_BOUND_MS = 60_000;


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

/** Keep the switchover figures; returns when primary-port sessions became steady on the candidate (ms from the request). */
function recordSwitchover(run: SwitchoverSamples<unknown>, candidatePort: number, oldPrimaryPort: number): number {
  const samples = run.primaryPort;
  const onCandidate = (entry: Sample): boolean => entry.served?.port === candidatePort && !entry.served.recovery;
  const steadySince = run.steady ? (samples[samples.length - 5]?.atMs ?? -1) : -1;
  const readsOnPrimary = run.replicaPort.filter((entry) => entry.served?.recovery === false);
  Object.assign(measured, {
    promotedDirectMs: run.promotedAtMs ?? -1,
    firstNewPrimaryThroughHaproxyMs: samples.find(onCandidate)?.atMs ?? -1,
    steadyNewPrimaryThroughHaproxyMs: steadySince,
    lastOldPrimaryThroughHaproxyMs: [...samples].reverse().find((entry) => entry.served?.port === oldPrimaryPort)?.atMs ?? -1,
    haproxyLagAfterPromotionMs: steadySince - (run.promotedAtMs ?? 0),
    failedSessionsDuringSwitchover: samples.filter((entry) => entry.error !== undefined).length,
    readOnlySessionsOnPrimaryPort: samples.filter((entry) => entry.served?.recovery === true).length,
    switchoverSamples: samples.length,
    replicaPortSessionsOnAPrimary: `${readsOnPrimary.length}/${run.replicaPort.length}`,
    replicaPortLastOnAPrimaryMs: readsOnPrimary[readsOnPrimary.length - 1]?.atMs ?? -1,
  });
  return steadySince;
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
    const run = await sampleSwitchover({ primary: primaryPort, replica: replicaPort, candidate: candidate.pgPort }, SWITCHOVER_BOUND_MS, async () => {
      const startedAt = Date.now();
      const answer = await oldLeader.request('POST', '/switchover', { leader: oldLeader.name, candidate: candidate.name });
      measured['switchoverRequestAnsweredMs'] = Date.now() - startedAt;
      return answer;
    });
    expect(run.answer.status, `${run.answer.body}\n${diagnostics()}`).toBe(200);
    const steadySince = recordSwitchover(run, candidate.pgPort, oldLeader.pgPort);

    expect(run.steady, `${JSON.stringify(run.primaryPort.slice(-10))}\n${diagnostics()}`).toBe(true);
    expect(steadySince).toBeLessThanOrEqual(SWITCHOVER_BOUND_MS);
    expect(run.promotedAtMs).toBeDefined();
    expect(steadySince - run.promotedAtMs!).toBeLessThanOrEqual(HAPROXY_SWITCH_BOUND_MS);
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

  it('a member that leaves (agent stopped) drops out of the reloaded configuration once its member key is gone', async () => {
    const leaving = cluster!.member('node4');
    const workerBefore = (await haproxy!.workers()).find((worker) => worker.generation === 'current')?.pid;
    const startedAt = Date.now();
    await leaving.stop();
    // The member key lives on the agent's lease: gone at once if the agent revokes it, else within ttl (20 s).
    await waitUntil(() => !readFileSync(configPath, 'utf8').includes('server node4 '), { timeoutMs: 40_000, what: `node4 out of ${configPath}\n${diagnostics()}` });
    measured['memberOutOfConfigMs'] = Date.now() - startedAt;
    expect(await haproxy!.waitForNewWorker(workerBefore, 15_000)).not.toBe(workerBefore);
    expect(readFileSync(configPath, 'utf8')).toContain('server node1 ');
    expect(watcher!.status().lastError).toBeUndefined();
  }, 90_000);

});
