/**
 * The session semantics of the ZooKeeper adapter, on real servers:
 *
 * 1. A leader whose link to ZooKeeper is cut: the server expires its session
 *    ttl after the last request it heard, the leader znode goes and another
 *    member takes it. Meanwhile the cut-off leader only ever sees
 *    `unreachable` (never `lost`: nobody told it); once the link is back the
 *    old session is refused as expired, a new session is opened, and the
 *    refresh reports the lock `lost` to its new owner. Its member znode is
 *    created again on the new session.
 * 2. A leader whose server is stopped moves its connection to another
 *    server of the ensemble within the session timeout: same session, the
 *    leader znode survives, the refresh is `held` with a newer renewedAtMs.
 */
import { startTcpProxy, startZooKeeper, type TcpProxy, type ZooKeeperEnsemble } from '@pgwarden/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZooKeeperDcs } from '../src/index.js';
import { rawClient, rawRead } from './zookeeper-harness.js';

const timings = { ttlSeconds: 2, loopWaitSeconds: 0.5, retryTimeoutSeconds: 2 };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('ZooKeeper sessions', () => {
  let ensemble: ZooKeeperEnsemble | undefined;
  let proxy: TcpProxy | undefined;
  const opened: ZooKeeperDcs[] = [];
  const open = (hosts: string, scope: string, name: string): ZooKeeperDcs => {
    const dcs = new ZooKeeperDcs({ hosts, scope, name, ...timings });
    opened.push(dcs);
    return dcs;
  };
  beforeAll(async () => {
    ensemble = await startZooKeeper({ size: 3 });
  });
  afterAll(async () => {
    await Promise.all(opened.map((dcs) => dcs.close()));
    await proxy?.close();
    await ensemble?.stop();
  });

  it('a leader cut off from ZooKeeper sees unreachable until its session expired, then lost to the new owner', async () => {
    const server = ensemble!.servers[0]!;
    proxy = await startTcpProxy({ host: '127.0.0.1', port: server.clientPort });
    const leader = open(proxy.address, 'cut', 'node1');
    const other = open(ensemble!.connectionString, 'cut', 'node2');
    expect((await leader.acquireLeader()).kind).toBe('held');
    expect((await leader.touchMember({ state: 'running' })).ok).toBe(true);
    const oldSession = leader.sessionId;
    proxy.cut();
    const cutAt = Date.now();
    // The fault happened: the leader cannot read at all.
    expect((await leader.getCluster()).ok).toBe(false);
    const outcomes = new Set<string>();
    let taken = false;
    while (Date.now() - cutAt < timings.ttlSeconds * 1000 + 6000) {
      outcomes.add((await leader.updateLeader({})).kind);
      if (!taken && (await other.acquireLeader()).kind === 'held') taken = true;
      if (taken && outcomes.size > 0 && Date.now() - cutAt > timings.ttlSeconds * 1000 + 1000) break;
      await sleep(200);
    }
    expect(taken).toBe(true);
    expect([...outcomes]).toEqual(['unreachable']);
    proxy.restore();
    let after = await leader.updateLeader({});
    for (let attempt = 0; attempt < 20 && after.kind === 'unreachable'; attempt++) {
      await sleep(200);
      after = await leader.updateLeader({});
    }
    expect(after).toEqual({ kind: 'lost', owner: 'node2' });
    expect(leader.sessionId).toBeDefined();
    expect(leader.sessionId).not.toBe(oldSession);
    expect((await leader.touchMember({ state: 'running' })).ok).toBe(true);
    const cluster = await other.getCluster();
    expect(cluster.ok && cluster.value.members.find((member) => member.name === 'node1')?.session).toBe(leader.sessionId);
  });

  it('a leader whose server stops moves to another server and keeps its session and lock', async () => {
    const leader = open(ensemble!.connectionString, 'move', 'node1');
    const first = await leader.acquireLeader();
    expect(first.kind).toBe('held');
    const session = leader.sessionId;
    const port = leader.serverPort;
    const server = ensemble!.servers.find((candidate) => candidate.clientPort === port)!;
    expect(server).toBeDefined();
    await server.stop();
    expect(server.running()).toBe(false);
    try {
      let outcome = await leader.updateLeader({});
      for (let attempt = 0; attempt < 10 && outcome.kind !== 'held'; attempt++) outcome = await leader.updateLeader({});
      expect(outcome.kind).toBe('held');
      if (outcome.kind === 'held' && first.kind === 'held') expect(outcome.renewedAtMs).toBeGreaterThan(first.renewedAtMs);
      expect(leader.serverPort).not.toBe(port);
      expect(leader.sessionId).toBe(session);
      const raw = await rawClient(ensemble!.servers.filter((candidate) => candidate !== server).map((candidate) => candidate.address).join(','));
      try {
        expect(await rawRead(raw, '/service/move/leader')).toBe('node1');
      } finally {
        raw.close();
      }
    } finally {
      await server.start();
    }
  });
});
