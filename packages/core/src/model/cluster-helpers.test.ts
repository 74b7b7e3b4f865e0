import { describe, expect, it } from 'vitest';
import { clusterModes, clusterRoleOf, clusterTimeline, failoverPriority, isInSyncState, isNoSync, slotNameForMember, syncPriority } from './cluster-helpers.js';
import { emptyCluster } from './cluster.js';

describe('slotNameForMember', () => {
  it('lower-cases and replaces dashes and dots by underscores', () => {
    expect(slotNameForMember('Node-1.dc')).toBe('node_1_dc');
  });
  it('encodes other characters as u plus a 4-digit code point', () => {
    expect(slotNameForMember('db@x')).toBe('dbu0064x');
  });
  it('truncates to 63 characters', () => {
    expect(slotNameForMember('a'.repeat(80))).toHaveLength(63);
  });
});

describe('clusterTimeline', () => {
  it('is 0 without a history key', () => {
    expect(clusterTimeline(emptyCluster)).toBe(0);
  });
  it('is 1 for an empty history', () => {
    expect(clusterTimeline({ ...emptyCluster, history: { version: 1, lines: [] } })).toBe(1);
  });
  it('is the last ended timeline plus one', () => {
    const lines = [[1, 100, 'no recovery target specified'], [2, 200, 'x']] as const;
    expect(clusterTimeline({ ...emptyCluster, history: { version: 1, lines: lines.map((l) => [...l]) as never } })).toBe(3);
  });
});

describe('failoverPriority', () => {
  it('is 0 for nofailover whatever the priority tag says', () => {
    expect(failoverPriority({ nofailover: true, failover_priority: 9 })).toBe(0);
  });
  it('defaults to 1', () => {
    expect(failoverPriority(undefined)).toBe(1);
  });
});

describe('sync_priority and nosync as Patroni 4 reads them from member tags', () => {
  it('defaults to priority 1, eligible', () => {
    expect([syncPriority(undefined), isNoSync(undefined)]).toEqual([1, false]);
  });
  it('sync_priority 0 alone means nosync', () => {
    expect([syncPriority({ sync_priority: 0 }), isNoSync({ sync_priority: 0 })]).toEqual([0, true]);
  });
  it('a published nosync wins over sync_priority either way', () => {
    expect([syncPriority({ nosync: true, sync_priority: 5 }), isNoSync({ nosync: true, sync_priority: 5 })]).toEqual([0, true]);
    expect([syncPriority({ nosync: false, sync_priority: 0 }), isNoSync({ nosync: false, sync_priority: 0 })]).toEqual([0, false]);
  });
  it('a higher sync_priority is returned as is', () => {
    expect(syncPriority({ sync_priority: 7 })).toBe(7);
  });
});

describe('isInSyncState', () => {
  it('compares names case-insensitively against leader and standbys', () => {
    const sync = { version: 1, leader: 'Node1', syncStandbys: ['NODE2'] };
    expect(isInSyncState(sync, 'node1')).toBe(true);
    expect(isInSyncState(sync, 'node2')).toBe(true);
    expect(isInSyncState(sync, 'node3')).toBe(false);
  });
});

describe('clusterModes (Patroni global_config)', () => {
  it('reads pause and synchronous mode in Patroni spellings', () => {
    expect(clusterModes({ pause: 'on', synchronous_mode: 'yes' })).toEqual({ paused: true, synchronousMode: true, quorumMode: false, standbyCluster: false });
    expect(clusterModes({ synchronous_mode: 'Quorum' })).toMatchObject({ synchronousMode: true, quorumMode: true });
    expect(clusterModes(undefined)).toEqual({ paused: false, synchronousMode: false, quorumMode: false, standbyCluster: false });
  });
  it('a standby cluster is never synchronous', () => {
    expect(clusterModes({ synchronous_mode: true, standby_cluster: { host: 'remote' } })).toMatchObject({ synchronousMode: false, standbyCluster: true });
    expect(clusterModes({ standby_cluster: { create_replica_methods: ['basebackup'] } }).standbyCluster).toBe(false);
  });
});

describe('clusterRoleOf (cluster_as_json)', () => {
  const cluster = { ...emptyCluster, leader: { name: 'a', version: 1 }, sync: { version: 1, leader: 'a', syncStandbys: ['B'] } };
  const sync = clusterModes({ synchronous_mode: true });
  it('names the lock holder leader, or standby_leader in a standby cluster', () => {
    expect(clusterRoleOf(cluster, 'a', sync)).toBe('leader');
    expect(clusterRoleOf(cluster, 'a', clusterModes({ standby_cluster: { port: 5433 } }))).toBe('standby_leader');
  });
  it('a member /sync lists as a standby is a sync or quorum standby only in synchronous mode', () => {
    expect(clusterRoleOf(cluster, 'b', sync)).toBe('sync_standby');
    expect(clusterRoleOf(cluster, 'b', clusterModes({ synchronous_mode: 'quorum' }))).toBe('quorum_standby');
    expect(clusterRoleOf(cluster, 'b', clusterModes({}))).toBe('replica');
  });
  it('the /sync leader who lost the lock is a replica, not a sync standby', () => {
    expect(clusterRoleOf({ ...cluster, leader: { name: 'b', version: 2 } }, 'a', sync)).toBe('replica');
  });
});
