/**
 * A real HAProxy (master-worker, as systemd runs it) in front of fake
 * members: REST APIs answering the health endpoints by role, and TCP echo
 * "databases" that greet with the member's name. What an operator relies on
 * at a switchover (INCIDENTS #14): new connections follow the primary, the
 * sessions on the demoted one are cut, reloads keep live sessions.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { isPgwardenError } from '@pgwarden/core';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getFreePorts, makeTempDir, startHaproxy, type HaproxyInstance, type TempDir } from '@pgwarden/testkit';
import { installHaproxyConfig, renderHaproxyConfig, startHaproxyWatcher, type HaproxyOptionsInput, type HaproxyWatcher } from '../src/index.js';
import { connectThrough, waitUntilReached, type ThroughConnection } from './support/client.js';
import { startFakeMember, type FakeMember } from './support/fake-member.js';
import { createMemoryDcs } from './support/memory-dcs.js';

const INTERVAL_MS = 1_000;
const FALL = 3;
const RISE = 2;
/** How long HAProxy may take to act on a role change: fall checks plus one interval of phase and a margin. */
const SWITCH_BOUND_MS = INTERVAL_MS * (FALL + 1) + 2_000;

let dir: TempDir;
let members: FakeMember[] = [];
let haproxy: HaproxyInstance | undefined;
let watcher: HaproxyWatcher | undefined;
const connections: ThroughConnection[] = [];
let primaryPort = 0;
let replicaPort = 0;

function options(): HaproxyOptionsInput {
  return {
    adminSocket: join(dir.path, 'admin.sock'),
    serverStateFile: join(dir.path, 'server-state'),
    bindAddress: '127.0.0.1',
    primary: { port: primaryPort },
    replicas: { port: replicaPort },
    healthCheck: { interval: `${INTERVAL_MS}ms`, fall: FALL, rise: RISE },
  };
}

function cluster(list: readonly FakeMember[] = members) {
  return { members: list.map((member) => member.member()), lastLsn: 0 };
}

async function open(port: number): Promise<ThroughConnection> {
  const connection = await connectThrough(port);
  connections.push(connection);
  return connection;
}

/** Wait until `times` consecutive new connections through `port` reach a member satisfying `predicate`. */
async function waitUntilSteady(port: number, predicate: (name: string) => boolean, timeoutMs: number, times = 4): Promise<number> {
  const started = Date.now();
  let streak = 0;
  while (streak < times) {
    await waitUntilReached(port, predicate, timeoutMs - (Date.now() - started));
    streak = 0;
    for (; streak < times; streak++) {
      const connection = await connectThrough(port);
      connection.close();
      if (!predicate(connection.reached)) break;
    }
  }
  return Date.now() - started;
}

beforeAll(async () => {
  [primaryPort = 0, replicaPort = 0] = await getFreePorts(2);
});

beforeEach(() => {
  dir = makeTempDir('haproxy-gen-e2e');
});

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.close();
  await watcher?.stop();
  watcher = undefined;
  await haproxy?.stop();
  haproxy = undefined;
  await Promise.all(members.map((member) => member.stop()));
  members = [];
  dir.remove();
});

async function startCluster(): Promise<string> {
  members = [await startFakeMember('alpha', 'primary'), await startFakeMember('bravo', 'replica'), await startFakeMember('charlie', 'replica')];
  const path = join(dir.path, 'haproxy.cfg');
  writeFileSync(path, renderHaproxyConfig(cluster(), options()));
  haproxy = await startHaproxy({ configPath: path });
  // A fresh HAProxy deems every server UP until its first check: let one interval pass.
  await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 1.5));
  await waitUntilSteady(primaryPort, (name) => name === 'alpha', 15_000);
  await waitUntilSteady(replicaPort, (name) => name !== 'alpha', 15_000);
  return path;
}

function setRole(name: string, role: 'primary' | 'replica'): void {
  const member = members.find((candidate) => candidate.name === name);
  if (member === undefined) throw new Error(`no member ${name}`);
  member.role = role;
}

describe('HAProxy routing by the members\' REST API', () => {
  it('sends primary-port connections to the member whose /primary answers 200, replica-port ones to replicas only', async () => {
    await startCluster();
    for (let round = 0; round < 6; round++) {
      expect((await open(primaryPort)).reached).toBe('alpha');
      expect(['bravo', 'charlie']).toContain((await open(replicaPort)).reached);
    }
    expect(members[0]?.checks).toContain('OPTIONS /primary');
    expect(members[1]?.checks).toContain('OPTIONS /replica');
  });

  it('after a switchover, new connections reach the new primary within inter*fall and the old primary\'s sessions are cut', async () => {
    await startCluster();
    const onOldPrimary = await open(primaryPort);
    expect(onOldPrimary.reached).toBe('alpha');
    expect(await onOldPrimary.echo('before')).toBe('before');

    const flippedAt = Date.now();
    setRole('alpha', 'replica');
    setRole('bravo', 'primary');
    await onOldPrimary.closed;
    const cutAfterMs = Date.now() - flippedAt;
    const steadyAfterMs = await waitUntilSteady(primaryPort, (name) => name === 'bravo', SWITCH_BOUND_MS);
    const totalMs = Date.now() - flippedAt;

    if (process.env['HAPROXY_GEN_TIMINGS']) process.stdout.write(`switchover: session cut after ${cutAfterMs} ms, new primary steady after ${totalMs} ms\n`);
    expect(cutAfterMs).toBeLessThanOrEqual(SWITCH_BOUND_MS);
    expect(totalMs).toBeLessThanOrEqual(SWITCH_BOUND_MS + 2_000);
    expect(steadyAfterMs).toBeGreaterThanOrEqual(0);
  });

  it('a graceful reload keeps an established session through a still-valid backend open', async () => {
    const path = await startCluster();
    const session = await open(primaryPort);
    expect(session.reached).toBe('alpha');
    const workerBefore = (await haproxy!.workers()).find((worker) => worker.generation === 'current')?.pid;

    await installHaproxyConfig(renderHaproxyConfig(cluster(), { ...options(), maxconn: { perServer: 50 } }), {
      path,
      reload: { method: 'signal', pidFile: haproxy!.pidFile },
      serverState: { adminSocket: join(dir.path, 'admin.sock'), stateFile: join(dir.path, 'server-state') },
    });
    await haproxy!.waitForNewWorker(workerBefore);

    const workers = await haproxy!.workers();
    expect(workers.find((worker) => worker.generation === 'current')?.pid).not.toBe(workerBefore);
    expect(workers.some((worker) => worker.generation === 'old' && worker.pid === workerBefore)).toBe(true);
    expect(await session.echo('after reload')).toBe('after reload');
    await waitUntilSteady(primaryPort, (name) => name === 'alpha', 10_000);
    expect(await session.echo('still here')).toBe('still here');
  });

  it('right after a reload that saved server states, new primary-port connections never land on a replica', async () => {
    const path = await startCluster();
    const workerBefore = (await haproxy!.workers()).find((worker) => worker.generation === 'current')?.pid;
    const result = await installHaproxyConfig(renderHaproxyConfig(cluster(), { ...options(), maxconn: { perServer: 40 } }), {
      path,
      reload: { method: 'signal', pid: haproxy!.pid },
      serverState: { adminSocket: join(dir.path, 'admin.sock'), stateFile: join(dir.path, 'server-state') },
    });
    expect(result).toMatchObject({ changed: true, reloaded: true });
    await haproxy!.waitForNewWorker(workerBefore);
    const reached: string[] = [];
    for (let attempt = 0; attempt < 12; attempt++) reached.push((await open(primaryPort)).reached);
    for (let attempt = 0; attempt < 12; attempt++) reached.push(`r:${(await open(replicaPort)).reached}`);
    expect(reached.filter((name) => name !== 'alpha' && name !== 'r:bravo' && name !== 'r:charlie')).toEqual([]);
  });

  it('a member added to the cluster is routed to after the watcher rewrites and reloads', async () => {
    const path = await startCluster();
    const dcs = createMemoryDcs(cluster().members);
    watcher = startHaproxyWatcher({
      dcs: dcs.dcs,
      haproxy: options(),
      install: { path, reload: { method: 'signal', pid: haproxy!.pid } },
      pollIntervalMs: 500,
    });
    const session = await open(primaryPort);
    const workerBefore = (await haproxy!.workers()).find((worker) => worker.generation === 'current')?.pid;

    const delta = await startFakeMember('delta', 'replica');
    members.push(delta);
    setRole('alpha', 'replica');
    delta.role = 'primary';
    // delta is not in the configuration yet: once alpha is marked down, nobody serves the primary port.
    await session.closed;
    await expect(connectThrough(primaryPort, 1_000)).rejects.toThrow();

    dcs.setMembers(cluster().members);
    await haproxy!.waitForNewWorker(workerBefore);
    await waitUntilSteady(primaryPort, (name) => name === 'delta', SWITCH_BOUND_MS);
    expect(watcher.status()).toMatchObject({ installs: 1 });
  });

  it('a member that moved to a new address is reached there after the watcher reload (saved states never restore the old one)', async () => {
    const path = await startCluster();
    const dcs = createMemoryDcs(cluster().members);
    watcher = startHaproxyWatcher({ dcs: dcs.dcs, haproxy: options(), install: { path, reload: { method: 'signal', pid: haproxy!.pid } }, pollIntervalMs: 500 });
    await waitUntilSteady(primaryPort, (name) => name === 'alpha', 5_000);
    const workerBefore = (await haproxy!.workers()).find((worker) => worker.generation === 'current')?.pid;

    const moved = await startFakeMember('alpha', 'primary');
    const old = members[0];
    members[0] = moved;
    await old?.stop();
    dcs.setMembers(cluster().members);
    await haproxy!.waitForNewWorker(workerBefore);
    await waitUntilSteady(primaryPort, (name) => name === 'alpha', SWITCH_BOUND_MS);
    expect(moved.checks.length).toBeGreaterThan(0);
    expect(watcher.status()).toMatchObject({ installs: 1 });
  });

  // HAProxy's own behaviour, kept as a test because the watcher's masterSocket exists for it:
  // an old worker runs no health checks, so its sessions outlive a demotion.
  it('without help, a session kept by an old worker after a reload is NOT cut when its member is demoted', async () => {
    const path = await startCluster();
    const session = await open(primaryPort);
    expect(session.reached).toBe('alpha');
    const workerBefore = (await haproxy!.workers()).find((worker) => worker.generation === 'current')?.pid;
    await installHaproxyConfig(renderHaproxyConfig(cluster(), { ...options(), maxconn: { perServer: 60 } }), {
      path,
      reload: { method: 'signal', pid: haproxy!.pid },
      serverState: { adminSocket: join(dir.path, 'admin.sock'), stateFile: join(dir.path, 'server-state') },
    });
    await haproxy!.waitForNewWorker(workerBefore);
    expect((await haproxy!.workers()).some((worker) => worker.generation === 'old' && worker.pid === workerBefore)).toBe(true);

    const flippedAt = Date.now();
    setRole('alpha', 'replica');
    setRole('bravo', 'primary');
    const cut = await Promise.race([session.closed.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), SWITCH_BOUND_MS))]);
    if (process.env['HAPROXY_GEN_TIMINGS']) process.stdout.write(`old worker: session cut=${String(cut)} after ${Date.now() - flippedAt} ms\n`);
    expect(cut).toBe(false);
    expect(await session.echo('still on the demoted member')).toBe('still on the demoted member');
  });

  it('with the master socket, the watcher cuts old workers\' sessions to the former primary when the leader changes', async () => {
    const path = await startCluster();
    // The live file differs from what the watcher renders: its first step installs and reloads.
    writeFileSync(path, renderHaproxyConfig(cluster(), { ...options(), maxconn: { perServer: 60 } }));
    const session = await open(primaryPort);
    expect(session.reached).toBe('alpha');
    const workerBefore = (await haproxy!.workers()).find((worker) => worker.generation === 'current')?.pid;
    const dcs = createMemoryDcs(cluster().members);
    dcs.setLeader('alpha');
    watcher = startHaproxyWatcher({
      dcs: dcs.dcs,
      haproxy: options(),
      install: { path, reload: { method: 'signal', pid: haproxy!.pid } },
      masterSocket: haproxy!.masterSocket,
      pollIntervalMs: 500,
    });
    await haproxy!.waitForNewWorker(workerBefore);
    expect((await haproxy!.workers()).some((worker) => worker.generation === 'old')).toBe(true);

    const flippedAt = Date.now();
    setRole('alpha', 'replica');
    setRole('bravo', 'primary');
    dcs.setLeader('bravo');
    const cut = await Promise.race([session.closed.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), SWITCH_BOUND_MS))]);
    if (process.env['HAPROXY_GEN_TIMINGS']) process.stdout.write(`old worker via watcher: session cut=${String(cut)} after ${Date.now() - flippedAt} ms\n`);
    expect(cut).toBe(true);
  });

  it('a configuration that passes haproxy -c but cannot load is reported, the previous file is put back, and HAProxy keeps serving', async () => {
    const path = await startCluster();
    const previous = readFileSync(path, 'utf8');
    const [takenPort = 0] = await getFreePorts(1);
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(takenPort, '127.0.0.1', resolve));
    try {
      const clash = renderHaproxyConfig(cluster(), { ...options(), stats: { port: takenPort } });
      let code = '';
      try {
        await installHaproxyConfig(clash, { path, reload: { method: 'signal', pid: haproxy!.pid }, masterSocket: haproxy!.masterSocket });
      } catch (error) {
        if (isPgwardenError(error)) code = error.code;
      }
      expect(code).toBe('haproxy-reload-rejected');
      expect(readFileSync(path, 'utf8')).toBe(previous);
      expect((await open(primaryPort)).reached).toBe('alpha');
    } finally {
      squatter.close();
    }
  });

  it('reloads under a stream of new connections refuse none and send none to a replica', async () => {
    const path = await startCluster();
    const reached = new Map<string, number>();
    const failures: string[] = [];
    let running = true;
    const stream = (async () => {
      while (running) {
        try {
          const connection = await connectThrough(primaryPort, 2_000);
          connection.close();
          reached.set(connection.reached, (reached.get(connection.reached) ?? 0) + 1);
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
      }
    })();
    for (let reload = 0; reload < 4; reload++) {
      await installHaproxyConfig(renderHaproxyConfig(cluster(), { ...options(), maxconn: { perServer: 50 + reload } }), {
        path,
        reload: { method: 'signal', pid: haproxy!.pid },
        masterSocket: haproxy!.masterSocket,
        serverState: { adminSocket: join(dir.path, 'admin.sock'), stateFile: join(dir.path, 'server-state') },
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    running = false;
    await stream;
    if (process.env['HAPROXY_GEN_TIMINGS']) process.stdout.write(`4 reloads under load: ${JSON.stringify(Object.fromEntries(reached))}, ${failures.length} failures\n`);
    expect(failures).toEqual([]);
    expect([...reached.keys()]).toEqual(['alpha']);
    expect(reached.get('alpha') ?? 0).toBeGreaterThan(100);
  });
});
