import { describe, expect, it } from 'vitest';
import { clusterTimeline, failoverPriority, isInSyncState, slotNameForMember } from './cluster-helpers.js';
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

describe('isInSyncState', () => {
  it('compares names case-insensitively against leader and standbys', () => {
    const sync = { version: 1, leader: 'Node1', syncStandbys: ['NODE2'] };
    expect(isInSyncState(sync, 'node1')).toBe(true);
    expect(isInSyncState(sync, 'node2')).toBe(true);
    expect(isInSyncState(sync, 'node3')).toBe(false);
  });
});
