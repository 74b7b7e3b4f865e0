/**
 * Operator scenarios (spec/dcs.md §4, INCIDENTS.md) against the MODEL of
 * Consul's documented HTTP API (not a real Consul): a cluster shared with a
 * Patroni member, a Consul outage longer than ttl, a refresh that fails once.
 */
import { startConsulModel, type ConsulModel } from '@pgwarden/testkit';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { ConsulDcs } from '../src/index.js';

let model: ConsulModel;
const open: ConsulDcs[] = [];
const timings = { ttlSeconds: 2, loopWaitSeconds: 0.5, retryTimeoutSeconds: 2 };

beforeAll(async () => {
  model = await startConsulModel({ sessionTtlMinMs: 1000 });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((dcs) => dcs.close()));
  model.failNext(0, 500, '');
  await model.start();
});
afterAll(async () => {
  await model.close();
});

function member(scope: string, name: string): ConsulDcs {
  const dcs = new ConsulDcs({ url: model.url, scope, name, ...timings });
  open.push(dcs);
  return dcs;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

it('a leader key held by a Patroni member’s session is respected, and taken over once that session is invalidated', async () => {
  // What Patroni 3.3.1 sends: its session, then acquire of the leader key with its name.
  const created = await fetch(`${model.url}/v1/session/create`, {
    method: 'PUT',
    body: '{"name": "mixed-patroni1", "checks": [], "lockdelay": "0.001s", "behavior": "delete", "ttl": "15.0s"}',
  });
  const patroniSession = ((await created.json()) as { ID: string }).ID;
  await fetch(`${model.url}/v1/kv/service/mixed/leader?acquire=${patroniSession}`, { method: 'PUT', body: 'patroni1' });
  const pgwarden = member('mixed', 'pgwarden2');
  const cluster = await pgwarden.getCluster();
  expect(cluster.ok && cluster.value.leader).toEqual({ name: 'patroni1', version: expect.any(Number), session: patroniSession });
  expect(await pgwarden.acquireLeader()).toEqual({ kind: 'lost', owner: 'patroni1' });
  const woken = pgwarden.watch(5000);
  await sleep(100);
  const invalidatedAt = performance.now();
  model.store.invalidateSession(patroniSession, Date.now());
  expect(await woken).toBe(true);
  expect(performance.now() - invalidatedAt).toBeLessThan(1000);
  expect((await pgwarden.acquireLeader()).kind).toBe('held');
  expect(model.readRaw('service/mixed/leader')).toBe('pgwarden2');
});

it('after a Consul outage of twice the ttl the previous leader keeps the lock (INCIDENTS #2)', async () => {
  const leader = member('outage', 'node1');
  const replica = member('outage', 'node2');
  expect((await leader.acquireLeader()).kind).toBe('held');
  expect((await replica.touchMember({ state: 'running' })).ok).toBe(true);
  await model.stop();
  expect((await leader.updateLeader({})).kind).toBe('unreachable');
  await sleep(timings.ttlSeconds * 2000 - 2000);
  await model.start();
  // Both race as soon as Consul answers again; the session timers restarted with the server.
  const [leaderOutcome, replicaOutcome] = await Promise.all([leader.updateLeader({}), replica.acquireLeader()]);
  expect(leaderOutcome.kind).toBe('held');
  expect(replicaOutcome).toEqual({ kind: 'lost', owner: 'node1' });
});

it('a lock refresh that fails once is retried within retry_timeout and holds (INCIDENTS #4)', async () => {
  const leader = member('retry-once', 'node1');
  expect((await leader.acquireLeader()).kind).toBe('held');
  model.failNext(1, 500, 'rpc error making call: rpc error: No cluster leader');
  expect((await leader.updateLeader({ lastLsn: 42 })).kind).toBe('held');
  expect(model.readRaw('service/retry-once/status')).toBe('{"optime":42}');
});

it('a member whose key is still held by its previous process’s session replaces it on its own session', async () => {
  const before = member('restart', 'node1');
  expect((await before.touchMember({ state: 'running' })).ok).toBe(true);
  const oldSession = model.store.entries.get('service/restart/members/node1')?.session;
  // The agent restarts: a new adapter, a new session; the old session is still alive.
  const after = member('restart', 'node1');
  expect((await after.getCluster()).ok).toBe(true);
  expect((await after.touchMember({ state: 'starting' })).ok).toBe(true);
  const entry = model.store.entries.get('service/restart/members/node1');
  expect(entry?.session).toBeDefined();
  expect(entry?.session).not.toBe(oldSession);
  expect(model.readRaw('service/restart/members/node1')).toBe('{"state":"starting"}');
});

it('close() during a retrying operation ends it promptly as unreachable', async () => {
  const dcs = new ConsulDcs({ url: model.url, scope: 'closing', name: 'node1', ttlSeconds: 10, loopWaitSeconds: 1, retryTimeoutSeconds: 6 });
  expect((await dcs.acquireLeader()).kind).toBe('held');
  await model.stop();
  const started = performance.now();
  const pending = dcs.updateLeader({});
  setTimeout(() => void dcs.close(), 100);
  expect((await pending).kind).toBe('unreachable');
  expect(performance.now() - started).toBeLessThan(1500);
});
