/**
 * Leader lock semantics: create-if-absent, refresh only while owned, delete
 * only if ours, expiry after ttl (and not before), and `renewedAtMs` taken
 * before the request was sent.
 */
import { isUnlocked, type Cluster, type Dcs } from '@pgwarden/core';
import { expect } from 'vitest';
import { eventually, expectOk, sleep, waitUntil, type SuiteContext } from './context.js';

async function read(dcs: Dcs): Promise<Cluster> {
  return expectOk(await dcs.getCluster());
}

export function registerLockCases(context: SuiteContext): void {
  context.it('acquiring a free lock holds it, renewedAtMs taken before the request was sent', async () => {
    const scope = context.newScope();
    const dcs = await context.member(scope, 'node1');
    const before = Date.now();
    const outcome = await dcs.acquireLeader();
    const after = Date.now();
    expect(outcome.kind).toBe('held');
    if (outcome.kind !== 'held') return;
    expect(outcome.renewedAtMs).toBeLessThanOrEqual(after);
    expect(outcome.renewedAtMs).toBeGreaterThan(before - context.harness().timings.loopWaitSeconds * 1000 - 1);
    const cluster = await read(await context.member(scope, 'observer'));
    expect(cluster.leader?.name).toBe('node1');
    expect(cluster.leader?.version).toBeGreaterThan(0);
    expect(cluster.leader?.session).toBeTruthy();
  });

  context.it('only one of many concurrent lock attempts wins, the others learn the owner', async () => {
    const scope = context.newScope();
    const members = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((name) => context.member(scope, name)));
    const outcomes = await Promise.all(members.map((dcs) => dcs.acquireLeader()));
    const winners = outcomes.filter((outcome) => outcome.kind === 'held');
    expect(winners).toHaveLength(1);
    const winner = members[outcomes.findIndex((outcome) => outcome.kind === 'held')]!;
    const owner = (await read(winner)).leader?.name;
    expect(owner).toBeTruthy();
    expect((await eventually(members[0]!, (cluster) => cluster.leader !== undefined)).leader?.name).toBe(owner);
    for (const outcome of outcomes) {
      if (outcome.kind === 'lost') expect(outcome.owner).toBe(owner);
      else expect(outcome.kind).toBe('held');
    }
  });

  context.it('acquiring a lock another member holds is lost with the owner named', async () => {
    const scope = context.newScope();
    const first = await context.member(scope, 'node1');
    const second = await context.member(scope, 'node2');
    expect((await first.acquireLeader()).kind).toBe('held');
    expect(await second.acquireLeader()).toEqual({ kind: 'lost', owner: 'node1' });
  });

  context.it('acquiring a lock this member already holds reports it held', async () => {
    const scope = context.newScope();
    const dcs = await context.member(scope, 'node1');
    expect((await dcs.acquireLeader()).kind).toBe('held');
    expect((await dcs.acquireLeader()).kind).toBe('held');
    expect((await dcs.getCluster()).ok).toBe(true);
  });

  context.it('the owner refreshing the lock keeps it and reports a newer renewal time', async () => {
    const scope = context.newScope();
    const dcs = await context.member(scope, 'node1');
    const first = await dcs.acquireLeader();
    await read(dcs);
    await sleep(50);
    const before = Date.now();
    const second = await dcs.updateLeader({});
    const after = Date.now();
    expect(second.kind).toBe('held');
    if (first.kind !== 'held' || second.kind !== 'held') return;
    expect(second.renewedAtMs).toBeGreaterThanOrEqual(before);
    expect(second.renewedAtMs).toBeLessThanOrEqual(after);
    expect(second.renewedAtMs).toBeGreaterThan(first.renewedAtMs);
  });

  context.it('a refresh by a member that does not own the lock fails and names the owner', async () => {
    const scope = context.newScope();
    const owner = await context.member(scope, 'node1');
    const other = await context.member(scope, 'node2');
    expect((await owner.acquireLeader()).kind).toBe('held');
    await read(other);
    expect(await other.updateLeader({ lastLsn: 100 })).toEqual({ kind: 'lost', owner: 'node1' });
    const cluster = await read(owner);
    expect(cluster.leader?.name).toBe('node1');
    expect(cluster.lastLsn).toBe(0);
  });

  context.it('a refresh after the lock was released and taken by another member fails', async () => {
    const scope = context.newScope();
    const old = await context.member(scope, 'node1');
    const next = await context.member(scope, 'node2');
    expect((await old.acquireLeader()).kind).toBe('held');
    // Someone else removed the key (e.g. it expired) and node2 won the race.
    expectOk(await old.deleteLeader({}));
    expect((await next.acquireLeader()).kind).toBe('held');
    await read(old);
    // The owner is information, not the outcome: a ZooKeeper ensemble member that has not caught up
    // with another server's write yet answers "no such key" (lost, owner unknown); never held.
    const refreshed = await old.updateLeader({});
    expect(refreshed.kind).toBe('lost');
    if (refreshed.kind === 'lost' && refreshed.owner !== undefined) expect(refreshed.owner).toBe('node2');
    expect((await read(next)).leader?.name).toBe('node2');
  });

  context.it('the owner deleting the lock frees it for another member', async () => {
    const scope = context.newScope();
    const owner = await context.member(scope, 'node1');
    const other = await context.member(scope, 'node2');
    expect((await owner.acquireLeader()).kind).toBe('held');
    expectOk(await owner.deleteLeader({}));
    expect(isUnlocked(await eventually(other, isUnlocked))).toBe(true);
    expect((await other.acquireLeader()).kind).toBe('held');
  });

  context.it('deleting a lock another member holds is refused and leaves it in place', async () => {
    const scope = context.newScope();
    const owner = await context.member(scope, 'node1');
    const other = await context.member(scope, 'node2');
    expect((await owner.acquireLeader()).kind).toBe('held');
    const result = await other.deleteLeader({});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe('conflict');
    expect((await read(owner)).leader?.name).toBe('node1');
  });

  context.it('deleting the lock with an LSN publishes the LSN first', async () => {
    const scope = context.newScope();
    const owner = await context.member(scope, 'node1');
    expect((await owner.acquireLeader()).kind).toBe('held');
    expectOk(await owner.deleteLeader({ lastLsn: 123456 }));
    const cluster = await read(await context.member(scope, 'node2'));
    expect(isUnlocked(cluster)).toBe(true);
    expect(cluster.lastLsn).toBe(123456);
  });

  context.it('taking the lock writes it even when another member holds it', async () => {
    const scope = context.newScope();
    const other = await context.member(scope, 'node2');
    const taker = await context.member(scope, 'node1');
    expect((await other.acquireLeader()).kind).toBe('held');
    expect((await taker.takeLeader()).kind).toBe('held');
    expect((await eventually(other, (cluster) => cluster.leader?.name === 'node1')).leader?.name).toBe('node1');
  });

  context.it('the lock disappears after ttl when not refreshed, and not before', async () => {
    const scope = context.newScope();
    const { ttlSeconds } = context.harness().timings;
    const owner = await context.member(scope, 'node1');
    const observer = await context.member(scope, 'node2');
    const outcome = await owner.acquireLeader();
    expect(outcome.kind).toBe('held');
    if (outcome.kind !== 'held') return;
    const present = async (): Promise<boolean> => (await read(observer)).leader?.name === 'node1';
    // Just before ttl has run out the key must still be there.
    await sleep(Math.max(0, outcome.renewedAtMs + ttlSeconds * 1000 - 300 - Date.now()));
    expect(await present()).toBe(true);
    const goneAt = await waitUntil(async () => !(await present()), ttlSeconds * 1000 + 5000, 25);
    expect(goneAt).toBeDefined();
    expect(goneAt!).toBeGreaterThanOrEqual(outcome.renewedAtMs + ttlSeconds * 1000);
    expect((await observer.acquireLeader()).kind).toBe('held');
  });

  context.it('a lock refreshed every loop_wait outlives several ttls', async () => {
    const scope = context.newScope();
    const { ttlSeconds, loopWaitSeconds } = context.harness().timings;
    const owner = await context.member(scope, 'node1');
    const observer = await context.member(scope, 'node2');
    expect((await owner.acquireLeader()).kind).toBe('held');
    const end = Date.now() + ttlSeconds * 2000;
    while (Date.now() < end) {
      await sleep(loopWaitSeconds * 1000);
      await read(owner);
      expect((await owner.updateLeader({})).kind).toBe('held');
    }
    expect((await read(observer)).leader?.name).toBe('node1');
  });

  context.it('a ttl change wakes the next watch at once and moves the held lock to a new lease/session', async () => {
    const scope = context.newScope();
    const timings = context.harness().timings;
    const dcs = await context.member(scope, 'node1');
    expect((await dcs.acquireLeader()).kind).toBe('held');
    const before = (await read(dcs)).leader?.session;
    await dcs.watch(0);
    dcs.configure({ ...timings, ttlSeconds: timings.ttlSeconds + 1 });
    expect(await dcs.watch(5000)).toBe(true);
    await read(dcs);
    expect((await dcs.updateLeader({})).kind).toBe('held');
    const after = await eventually(dcs, (cluster) => cluster.leader?.session !== before);
    expect(after.leader?.name).toBe('node1');
    expect(after.leader?.session).not.toBe(before);
  });

  context.it('refreshing the lock publishes status and failsafe, and skips an unchanged status', async () => {
    const scope = context.newScope();
    const owner = await context.member(scope, 'node1');
    expect((await owner.acquireLeader()).kind).toBe('held');
    await read(owner);
    const failsafe = { node1: 'http://127.0.0.1:8008/patroni', node2: 'http://127.0.0.1:8009/patroni' };
    expect((await owner.updateLeader({ lastLsn: 5000, slots: { node2: 4000 }, failsafe })).kind).toBe('held');
    const raw = await context.harness().readRaw(scope, 'status');
    expect((await owner.updateLeader({ lastLsn: 5000, slots: { node2: 4000 }, failsafe })).kind).toBe('held');
    expect(await context.harness().readRaw(scope, 'status')).toBe(raw);
    const cluster = await read(await context.member(scope, 'node2'));
    expect(cluster.lastLsn).toBe(5000);
    expect(cluster.slots).toEqual({ node2: 4000 });
    expect(cluster.failsafe).toEqual(failsafe);
  });
}
