/**
 * Server outages: with one of three servers down everything still works;
 * with all down every operation fails cleanly — a typed `unreachable`, never
 * a lost lock — within retry_timeout; after they return, work resumes.
 * These cases run last and restore every server they stopped.
 */
import type { Dcs } from '@pgwarden/core';
import { afterAll, expect } from 'vitest';
import { eventually, expectOk, waitUntil, type SuiteContext } from './context.js';

async function timed<T>(operation: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await operation();
  return { value, ms: performance.now() - started };
}

export function registerOutageCases(context: SuiteContext): void {
  const stopped = new Set<number>();
  const stop = async (index: number): Promise<void> => {
    stopped.add(index);
    await context.harness().servers.stop(index);
  };
  // Together: a lone member of a stopped cluster has no quorum and never reports healthy.
  const startAll = async (): Promise<void> => {
    const indexes = [...stopped];
    await Promise.all(indexes.map((index) => context.harness().servers.start(index)));
    for (const index of indexes) stopped.delete(index);
  };
  afterAll(startAll);

  context.it('with one of three servers down, reads, lock refreshes and writes still work', async (test) => {
    if (context.harness().servers.count < 3) test.skip();
    const scope = context.newScope();
    const leader = await context.member(scope, 'node1');
    const replica = await context.member(scope, 'node2');
    expect((await leader.acquireLeader()).kind).toBe('held');
    expectOk(await replica.touchMember({ state: 'running' }));
    await stop(0);
    try {
      const cluster = await eventually(replica, (view) => view.leader?.name === 'node1');
      expect(cluster.leader?.name).toBe('node1');
      expectOk(await leader.getCluster());
      expect((await leader.updateLeader({ lastLsn: 1000 })).kind).toBe('held');
      expectOk(await replica.setConfig({ ttl: 30 }));
      const fresh = await context.member(scope, 'node3');
      expect(expectOk(await fresh.getCluster()).leader?.name).toBe('node1');
      expect(await fresh.acquireLeader()).toEqual({ kind: 'lost', owner: 'node1' });
    } finally {
      await startAll();
    }
  });

  context.it('with every server down, operations fail as unreachable within retry_timeout, never as lost', async () => {
    const scope = context.newScope();
    const { retryTimeoutSeconds } = context.harness().timings;
    const bound = retryTimeoutSeconds * 1000 + 1500;
    const leader: Dcs = await context.member(scope, 'node1');
    expect((await leader.acquireLeader()).kind).toBe('held');
    expectOk(await leader.getCluster());
    try {
      for (let index = 0; index < context.harness().servers.count; index++) await stop(index);
      const update = await timed(() => leader.updateLeader({ lastLsn: 5 }));
      expect(update.value.kind).toBe('unreachable');
      expect(update.ms).toBeLessThan(bound);
      const acquire = await timed(() => leader.acquireLeader());
      expect(acquire.value.kind).toBe('unreachable');
      const fresh = await context.member(scope, 'node2');
      const read = await timed(() => fresh.getCluster());
      expect(read.value.ok).toBe(false);
      if (!read.value.ok) expect(read.value.reason).toBe('unreachable');
      expect(read.ms).toBeLessThan(bound);
      const write = await timed(() => fresh.setConfig({ ttl: 30 }));
      expect(write.value.ok).toBe(false);
      if (!write.value.ok) expect(write.value.reason).toBe('unreachable');
      expect(write.ms).toBeLessThan(bound);
      const touch = await timed(() => fresh.touchMember({ state: 'running' }));
      expect(touch.value.ok).toBe(false);
      expect(touch.ms).toBeLessThan(bound);
    } finally {
      await startAll();
    }
  });

  context.it('after the servers come back, the same adapter reads and holds the lock again', async () => {
    const scope = context.newScope();
    const dcs = await context.member(scope, 'node1');
    for (let index = 0; index < context.harness().servers.count; index++) await stop(index);
    expect((await dcs.acquireLeader()).kind).toBe('unreachable');
    await startAll();
    // Generous: a JVM server (ZooKeeper) restarting on a loaded 2-core machine takes its time; this asserts recovery, not its speed.
    const recoveredAt = await waitUntil(async () => (await dcs.acquireLeader()).kind === 'held', 45_000, 200);
    expect(recoveredAt).toBeDefined();
    expect(expectOk(await dcs.getCluster()).leader?.name).toBe('node1');
  }, 120_000);
}
