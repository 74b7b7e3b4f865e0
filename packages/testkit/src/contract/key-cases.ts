/**
 * The other keys: the initialize race, CAS on config/failover/sync, history,
 * status, member keys on the lease, lenient parsing of values written by
 * others, and removing a cluster.
 */
import { clusterTimeline, type Cluster, type Dcs } from '@pgwarden/core';
import { expect } from 'vitest';
import { eventually, expectOk, sleep, waitUntil, type SuiteContext } from './context.js';

async function read(dcs: Dcs): Promise<Cluster> {
  return expectOk(await dcs.getCluster());
}

function expectConflict(result: { ok: boolean; reason?: string }): void {
  expect(result.ok).toBe(false);
  expect(result.reason).toBe('conflict');
}

export function registerKeyCases(context: SuiteContext): void {
  context.it('an empty cluster reads as unlocked with no members and lastLsn 0', async () => {
    const cluster = await read(await context.member(context.newScope(), 'node1'));
    expect(cluster).toEqual({ members: [], lastLsn: 0 });
  });

  context.it('the initialize race has exactly one winner; the others get a conflict', async () => {
    const scope = context.newScope();
    const members = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((name) => context.member(scope, name)));
    const results = await Promise.all(members.map((dcs) => dcs.initialize({ createNew: true })));
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    for (const result of results) if (!result.ok) expect(result.reason).toBe('conflict');
    expect((await read(members[0]!)).initialize).toBe('');
  });

  context.it('initialize without createNew overwrites with the system identifier; cancel removes it', async () => {
    const scope = context.newScope();
    const dcs = await context.member(scope, 'node1');
    expectOk(await dcs.initialize({ createNew: true }));
    expectOk(await dcs.initialize({ createNew: false, sysid: '7380236651356719834' }));
    expect((await read(dcs)).initialize).toBe('7380236651356719834');
    expectOk(await dcs.cancelInitialization());
    expect((await read(dcs)).initialize).toBeUndefined();
  });

  context.it('config written without a version reads back with its data and a version', async () => {
    const scope = context.newScope();
    const dcs = await context.member(scope, 'node1');
    expectOk(await dcs.setConfig({ ttl: 30, loop_wait: 10, postgresql: { use_pg_rewind: true } }));
    const config = (await read(dcs)).config;
    expect(config?.data).toEqual({ ttl: 30, loop_wait: 10, postgresql: { use_pg_rewind: true } });
    expect(config?.version).toBeGreaterThan(0);
    expect(config?.modifyVersion).toBe(config?.version);
  });

  context.it('config CAS succeeds with the current version and conflicts with a stale one', async () => {
    const scope = context.newScope();
    const first = await context.member(scope, 'node1');
    const second = await context.member(scope, 'node2');
    expectOk(await first.setConfig({ ttl: 30 }));
    const version = (await read(first)).config!.version;
    expectOk(await first.setConfig({ ttl: 40 }, version));
    expectConflict(await second.setConfig({ ttl: 50 }, version));
    expect((await eventually(second, (cluster) => cluster.config?.data['ttl'] === 40)).config?.data).toEqual({ ttl: 40 });
  });

  context.it('failover request reads back leader, candidate and schedule; CAS with a stale version conflicts', async () => {
    const scope = context.newScope();
    const dcs = await context.member(scope, 'node1');
    expectOk(await dcs.setFailover({ leader: 'node1', member: 'node2', scheduled_at: '2024-07-01T12:00:00+02:00' }));
    const failover = (await read(dcs)).failover;
    expect(failover).toMatchObject({ leader: 'node1', candidate: 'node2', scheduledAt: '2024-07-01T12:00:00+02:00' });
    expectOk(await dcs.setFailover({}, failover!.version));
    expectConflict(await dcs.setFailover({ member: 'node3' }, failover!.version));
    const cleared = (await read(dcs)).failover;
    expect(cleared?.leader).toBeUndefined();
    expect(cleared?.candidate).toBeUndefined();
  });

  context.it('sync state is written sorted, returns a version usable for CAS, stale versions conflict', async () => {
    const scope = context.newScope();
    const dcs = await context.member(scope, 'node1');
    const first = expectOk(await dcs.writeSyncState('node1', ['node3', 'node2']));
    expect(first.syncStandbys).toEqual(['node2', 'node3']);
    const read1 = (await read(dcs)).sync;
    expect(read1).toMatchObject({ version: first.version, leader: 'node1', syncStandbys: ['node2', 'node3'] });
    const second = expectOk(await dcs.writeSyncState('node1', ['node2'], first.version));
    expect(second.version).toBeGreaterThan(first.version);
    expectConflict(await dcs.writeSyncState('node1', [], first.version));
    expect((await read(dcs)).sync?.syncStandbys).toEqual(['node2']);
  });

  context.it('sync state delete with a stale version conflicts, with the current one removes it', async () => {
    const scope = context.newScope();
    const dcs = await context.member(scope, 'node1');
    const first = expectOk(await dcs.writeSyncState('node1', ['node2']));
    const second = expectOk(await dcs.writeSyncState('node1', ['node3'], first.version));
    expectConflict(await dcs.deleteSyncState(first.version));
    expectOk(await dcs.deleteSyncState(second.version));
    expect((await read(dcs)).sync).toBeUndefined();
  });

  context.it('history gives the cluster timeline: last line + 1, [] is timeline 1', async () => {
    const scope = context.newScope();
    const dcs = await context.member(scope, 'node1');
    expectOk(await dcs.setHistory([]));
    expect(clusterTimeline(await read(dcs))).toBe(1);
    expectOk(
      await dcs.setHistory([
        [1, 25623960, 'no recovery target specified', '2024-07-01T10:00:05.123+00:00', 'node1'],
        [2, 50331864, 'no recovery target specified'],
      ]),
    );
    const cluster = await read(dcs);
    expect(clusterTimeline(cluster)).toBe(3);
    expect(cluster.history?.lines[0]).toEqual([1, 25623960, 'no recovery target specified', '2024-07-01T10:00:05.123+00:00', 'node1']);
  });

  context.it('status written directly gives lastLsn and slots', async () => {
    const scope = context.newScope();
    const dcs = await context.member(scope, 'node1');
    expectOk(await dcs.writeStatus({ optime: 67393616, slots: { node2: 67393616 } }));
    const cluster = await read(await context.member(scope, 'node2'));
    expect(cluster.lastLsn).toBe(67393616);
    expect(cluster.slots).toEqual({ node2: 67393616 });
  });

  context.it('a member key is visible to others with its data, version and session', async () => {
    const scope = context.newScope();
    const dcs = await context.member(scope, 'node1');
    const data = {
      conn_url: 'postgres://127.0.0.1:5432/postgres',
      api_url: 'http://127.0.0.1:8008/patroni',
      state: 'running',
      role: 'replica',
      xlog_location: 50331864,
      tags: { clonefrom: true },
      some_future_field: { kept: 1 },
    };
    expectOk(await dcs.touchMember(data));
    const member = (await read(await context.member(scope, 'node2'))).members.find((entry) => entry.name === 'node1');
    expect(member?.data).toEqual(data);
    expect(member?.version).toBeGreaterThan(0);
    expect(member?.session).toBeTruthy();
  });

  context.it('touching a member with unchanged data does not rewrite the key', async () => {
    const scope = context.newScope();
    const dcs = await context.member(scope, 'node1');
    expectOk(await dcs.touchMember({ state: 'running', role: 'replica' }));
    await read(dcs);
    const version = (await read(dcs)).members[0]?.version;
    expectOk(await dcs.touchMember({ state: 'running', role: 'replica' }));
    expect((await read(dcs)).members[0]?.version).toBe(version);
    expectOk(await dcs.touchMember({ state: 'running', role: 'primary' }));
    const after = await waitUntil(async () => (await read(dcs)).members[0]?.data.role === 'primary', 2000);
    expect(after).toBeDefined();
  });

  context.it('member keys expire after ttl when no longer touched', async () => {
    const scope = context.newScope();
    const { ttlSeconds } = context.harness().timings;
    const dcs = await context.member(scope, 'node1');
    const observer = await context.member(scope, 'node2');
    expectOk(await dcs.touchMember({ state: 'running' }));
    expect((await eventually(observer, (cluster) => cluster.members.length > 0)).members.map((member) => member.name)).toEqual(['node1']);
    const goneAt = await waitUntil(async () => (await read(observer)).members.length === 0, ttlSeconds * 1000 + 5000);
    expect(goneAt).toBeDefined();
  });

  context.it('values written by others are parsed leniently: bad member, config and history do not break the read', async () => {
    const scope = context.newScope();
    const harness = context.harness();
    await harness.writeRaw(scope, 'members/broken', 'not json at all');
    await harness.writeRaw(scope, 'members/legacy', 'postgres://10.0.0.1:5432/postgres?application_name=http://10.0.0.1:8008/patroni');
    await harness.writeRaw(scope, 'members/typed', '{"state":"running","xlog_location":"oops"}');
    await harness.writeRaw(scope, 'config', '{not json');
    await harness.writeRaw(scope, 'history', 'garbage');
    await harness.writeRaw(scope, 'status', '4242');
    await harness.writeRaw(scope, 'failover', 'node1:node2');
    await harness.writeRaw(scope, 'members/deep/ignored', '{}');
    const cluster = await read(await context.member(scope, 'reader'));
    const byName = new Map(cluster.members.map((member) => [member.name, member.data]));
    expect([...byName.keys()].sort()).toEqual(['broken', 'legacy', 'typed']);
    expect(byName.get('broken')).toEqual({});
    expect(byName.get('legacy')).toMatchObject({ conn_url: 'postgres://10.0.0.1:5432/postgres', api_url: 'http://10.0.0.1:8008/patroni' });
    expect(byName.get('typed')).toEqual({ state: 'running' });
    expect(cluster.config?.data).toEqual({});
    expect(cluster.config?.modifyVersion).toBe(0);
    expect(clusterTimeline(cluster)).toBe(0);
    expect(cluster.lastLsn).toBe(4242);
    expect(cluster.failover).toMatchObject({ leader: 'node1', candidate: 'node2' });
  });

  context.it('removing the cluster deletes every key under its prefix and nothing else', async () => {
    const scope = context.newScope();
    const neighbour = context.newScope();
    const dcs = await context.member(scope, 'node1');
    const other = await context.member(neighbour, 'node1');
    expectOk(await dcs.setConfig({ ttl: 30 }));
    expectOk(await dcs.touchMember({ state: 'running' }));
    expect((await dcs.acquireLeader()).kind).toBe('held');
    expectOk(await other.setConfig({ ttl: 30 }));
    expectOk(await dcs.deleteCluster());
    await sleep(50);
    expect(await read(await context.member(scope, 'node9'))).toEqual({ members: [], lastLsn: 0 });
    expect((await read(other)).config?.data).toEqual({ ttl: 30 });
  });
}
