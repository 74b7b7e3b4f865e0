/**
 * Version 0 means "the key must be absent" (etcd's mod_revision 0), which the
 * daemon uses to write `/config` after bootstrap without overwriting an
 * operator's edit: with ZooKeeper it is a create-only write. And a lock this
 * member released is not re-created by a refresh racing the release.
 */
import { startZooKeeper, type ZooKeeperEnsemble } from '@pgwarden/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ZooKeeperDcs } from '../src/index.js';

let ensemble: ZooKeeperEnsemble | undefined;
let dcs: ZooKeeperDcs | undefined;
beforeAll(async () => {
  ensemble = await startZooKeeper({ size: 1 });
  dcs = new ZooKeeperDcs({ hosts: ensemble.connectionString, scope: 'create-only', name: 'node1', ttlSeconds: 2, loopWaitSeconds: 0.5, retryTimeoutSeconds: 2 });
});
afterAll(async () => {
  await dcs?.close();
  await ensemble?.stop();
});

it('config with version 0 is created when absent and conflicts when present', async () => {
  expect((await dcs!.setConfig({ ttl: 30 }, 0)).ok).toBe(true);
  const second = await dcs!.setConfig({ ttl: 40 }, 0);
  expect(second.ok).toBe(false);
  if (!second.ok) expect(second.reason).toBe('conflict');
  const cluster = await dcs!.getCluster();
  expect(cluster.ok && cluster.value.config?.data).toEqual({ ttl: 30 });
});

it('a refresh after this member released the lock does not take it back', async () => {
  expect((await dcs!.acquireLeader()).kind).toBe('held');
  expect((await dcs!.deleteLeader({})).ok).toBe(true);
  expect(await dcs!.updateLeader({})).toEqual({ kind: 'lost' });
  const cluster = await dcs!.getCluster();
  expect(cluster.ok && cluster.value.leader).toBeUndefined();
  expect((await dcs!.acquireLeader()).kind).toBe('held');
  expect((await dcs!.updateLeader({})).kind).toBe('held');
});
