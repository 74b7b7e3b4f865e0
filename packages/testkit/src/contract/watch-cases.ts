/**
 * watch(): wakes at once when the leader key changes or disappears (and on
 * config changes, and on status changes for a non-leader), not for member
 * key traffic; otherwise returns false after its timeout or on abort.
 */
import type { Dcs } from '@pgwarden/core';
import { expect } from 'vitest';
import { expectOk, sleep, type SuiteContext } from './context.js';

async function readyWatcher(context: SuiteContext, scope: string, name: string): Promise<Dcs> {
  const dcs = await context.member(scope, name);
  expectOk(await dcs.getCluster());
  // Drain a wake-up caused by setting the scene.
  await dcs.watch(0);
  return dcs;
}

export function registerWatchCases(context: SuiteContext): void {
  context.it('a watch wakes within 100 ms of the leader key being deleted', async () => {
    const scope = context.newScope();
    const owner = await context.member(scope, 'node1');
    expect((await owner.acquireLeader()).kind).toBe('held');
    const watcher = await readyWatcher(context, scope, 'node2');
    expect((await watcher.getCluster()).ok).toBe(true);
    const waiting = watcher.watch(10_000);
    await sleep(100);
    const deletedAt = performance.now();
    expectOk(await owner.deleteLeader({}));
    expect(await waiting).toBe(true);
    const latencyMs = performance.now() - deletedAt;
    expect(latencyMs).toBeLessThan(100);
  });

  context.it('a watch wakes when another member takes the lock', async () => {
    const scope = context.newScope();
    const watcher = await readyWatcher(context, scope, 'node2');
    const owner = await context.member(scope, 'node1');
    const waiting = watcher.watch(5000);
    const started = performance.now();
    expect((await owner.acquireLeader()).kind).toBe('held');
    expect(await waiting).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(expectOk(await watcher.getCluster()).leader?.name).toBe('node1');
  });

  context.it('a change made between cycles makes the next watch return at once', async () => {
    const scope = context.newScope();
    const watcher = await readyWatcher(context, scope, 'node2');
    const owner = await context.member(scope, 'node1');
    expect((await owner.acquireLeader()).kind).toBe('held');
    await sleep(200);
    const started = performance.now();
    expect(await watcher.watch(5000)).toBe(true);
    expect(performance.now() - started).toBeLessThan(100);
  });

  context.it('a config change wakes a watcher', async () => {
    const scope = context.newScope();
    const writer = await context.member(scope, 'node1');
    expectOk(await writer.setConfig({ ttl: 30 }));
    const watcher = await readyWatcher(context, scope, 'node2');
    const waiting = watcher.watch(5000);
    expectOk(await writer.setConfig({ ttl: 40 }));
    expect(await waiting).toBe(true);
  });

  context.it('a status change wakes a member that is not the leader', async () => {
    const scope = context.newScope();
    const leader = await context.member(scope, 'node1');
    expect((await leader.acquireLeader()).kind).toBe('held');
    expectOk(await leader.getCluster());
    const watcher = await readyWatcher(context, scope, 'node2');
    const waiting = watcher.watch(5000);
    expect((await leader.updateLeader({ lastLsn: 777 })).kind).toBe('held');
    expect(await waiting).toBe(true);
  });

  context.it('member key traffic does not wake a watcher; it times out and returns false', async () => {
    const scope = context.newScope();
    const watcher = await readyWatcher(context, scope, 'node2');
    const other = await context.member(scope, 'node3');
    const started = performance.now();
    const waiting = watcher.watch(600);
    expectOk(await other.touchMember({ state: 'running' }));
    expectOk(await other.touchMember({ state: 'starting' }));
    expect(await waiting).toBe(false);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(590);
    expect(elapsed).toBeLessThan(2000);
  });

  context.it('an aborted watch returns false promptly', async () => {
    const watcher = await readyWatcher(context, context.newScope(), 'node1');
    const controller = new AbortController();
    const started = performance.now();
    const waiting = watcher.watch(10_000, controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect(await waiting).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  context.it('a member’s own lock writes do not wake its own watch', async () => {
    const scope = context.newScope();
    const dcs = await readyWatcher(context, scope, 'node1');
    expect((await dcs.acquireLeader()).kind).toBe('held');
    expect((await dcs.updateLeader({ lastLsn: 10 })).kind).toBe('held');
    expect(await dcs.watch(300)).toBe(false);
  });
}
