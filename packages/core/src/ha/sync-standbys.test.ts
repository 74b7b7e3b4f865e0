import { describe, expect, it } from 'vitest';
import type { ReplicationConnection } from '../model/local-state.js';
import { selectSyncStandbys, type SyncSelectionInput } from './sync-standbys.js';

const MB = 1_048_576;

function row(name: string, syncState: string, lsn: number, positions: Partial<ReplicationConnection> = {}): ReplicationConnection {
  return { applicationName: name, state: 'streaming', syncState, syncPriority: 1, writeLsn: lsn, flushLsn: lsn, replayLsn: lsn, ...positions };
}

function select(replication: readonly ReplicationConnection[], overrides: Partial<SyncSelectionInput> = {}) {
  return selectSyncStandbys({
    replication,
    eligible: replication.map((connection) => ({ name: connection.applicationName, syncPriority: 1 })),
    count: 1,
    current: [],
    ...overrides,
  });
}

describe('maximum_lag_on_syncnode', () => {
  it('a current sync standby lagging the most advanced one by more than the limit is dropped for a healthy one', () => {
    const replication = [row('node2', 'sync', 100 * MB), row('node3', 'async', 110 * MB)];
    expect(select(replication, { current: ['node2'], maximumLagBytes: 5 * MB })).toEqual({ candidates: ['node3'], confirmed: [] });
  });

  it('within the limit the current sync standby stays, even behind an async one', () => {
    const replication = [row('node2', 'sync', 100 * MB), row('node3', 'async', 104 * MB)];
    expect(select(replication, { current: ['node2'], maximumLagBytes: 5 * MB })).toEqual({ candidates: ['node2'], confirmed: ['node2'] });
  });

  it('-1 (the default) and 0 never drop a standby for its lag', () => {
    const replication = [row('node2', 'sync', 1 * MB), row('node3', 'async', 900 * MB)];
    for (const maximumLagBytes of [-1, 0, undefined]) {
      expect(select(replication, { current: ['node2'], maximumLagBytes }).candidates).toEqual(['node2']);
    }
  });

  it('with a single standby its lag is measured against the primary’s own position', () => {
    const replication = [row('node2', 'sync', 100 * MB)];
    expect(select(replication, { current: ['node2'], maximumLagBytes: 5 * MB, primaryWalPosition: 106 * MB }).candidates).toEqual([]);
    expect(select(replication, { current: ['node2'], maximumLagBytes: 5 * MB, primaryWalPosition: 105 * MB }).candidates).toEqual(['node2']);
  });

  it('when every standby lags (all hung), the most advanced is the reference and they are kept', () => {
    const replication = [row('node2', 'sync', 100 * MB), row('node3', 'async', 100 * MB)];
    expect(select(replication, { current: ['node2'], maximumLagBytes: MB, primaryWalPosition: 900 * MB }).candidates).toEqual(['node2']);
  });

  it('only the healthy ones count towards synchronous_node_count', () => {
    const replication = [row('node2', 'sync', 10 * MB), row('node3', 'sync', 100 * MB), row('node4', 'async', 99 * MB)];
    expect(select(replication, { count: 2, current: ['node2', 'node3'], maximumLagBytes: 5 * MB })).toEqual({ candidates: ['node3', 'node4'], confirmed: ['node3'] });
  });
});

describe('the position compared follows synchronous_commit', () => {
  // node2 has written much but flushed and replayed little; node3 is the reverse.
  const replication = [
    row('node2', 'async', 0, { writeLsn: 100 * MB, flushLsn: 50 * MB, replayLsn: 10 * MB }),
    row('node3', 'async', 0, { writeLsn: 60 * MB, flushLsn: 60 * MB, replayLsn: 60 * MB }),
  ];
  const pick = (synchronousCommit: string | undefined) => select(replication, { synchronousCommit }).candidates;

  it('remote_write compares write positions', () => {
    expect(pick('remote_write')).toEqual(['node2']);
  });

  it('remote_apply compares replay positions', () => {
    expect(pick('remote_apply')).toEqual(['node3']);
  });

  it('on, local, off or unknown compare flush positions', () => {
    for (const mode of ['on', 'local', 'off', undefined]) expect(pick(mode)).toEqual(['node3']);
  });

  it('the lag limit uses the same column', () => {
    expect(select(replication, { synchronousCommit: 'remote_write', maximumLagBytes: 30 * MB, count: 2 }).candidates).toEqual(['node2']);
    expect(select(replication, { synchronousCommit: 'remote_apply', maximumLagBytes: 30 * MB, count: 2 }).candidates).toEqual(['node3']);
  });

  it('a row without a position in that column is no candidate', () => {
    const noReplay = [row('node2', 'async', 10 * MB, { replayLsn: undefined })];
    expect(select(noReplay, { synchronousCommit: 'remote_apply' }).candidates).toEqual([]);
    expect(select(noReplay, { synchronousCommit: 'on' }).candidates).toEqual(['node2']);
  });
});

describe('sync_priority', () => {
  const replication = [row('node2', 'sync', 100 * MB), row('node3', 'async', 90 * MB), row('node4', 'async', 95 * MB)];
  const eligible = [
    { name: 'node2', syncPriority: 1 },
    { name: 'node3', syncPriority: 5 },
    { name: 'node4', syncPriority: 2 },
  ];

  it('a higher priority wins over being in /sync and over a more advanced position', () => {
    expect(select(replication, { eligible, current: ['node2'] })).toEqual({ candidates: ['node3'], confirmed: [] });
  });

  it('the order is by priority for several synchronous standbys', () => {
    expect(select(replication, { eligible, count: 2, current: ['node2'] }).candidates).toEqual(['node3', 'node4']);
  });

  it('at equal priority the /sync members come first, then the most advanced', () => {
    const equal = eligible.map((member) => ({ ...member, syncPriority: 1 }));
    expect(select(replication, { eligible: equal, count: 2, current: ['node3'] }).candidates).toEqual(['node2', 'node3']);
    expect(select(replication, { eligible: equal, count: 2 }).candidates).toEqual(['node2', 'node4']);
  });

  it('a lagging high-priority standby gives way to a healthy one', () => {
    expect(select(replication, { eligible, maximumLagBytes: 5 * MB, current: ['node2'] }).candidates).toEqual(['node4']);
  });

  it('a member absent from the eligible list (nosync, or sync_priority 0) is never chosen', () => {
    expect(select(replication, { eligible: [{ name: 'node3', syncPriority: 1 }], count: 3 }).candidates).toEqual(['node3']);
  });
});
