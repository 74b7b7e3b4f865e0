import { describe } from 'vitest';
import { runCases } from './case-runner.js';
import { cluster, emptyLocal, input, member, memory, primaryLocal, replicaLocal, unlockedCluster } from './fixtures.js';

const fresh = { members: [], lastLsn: 0 };

describe('decide: empty data directory and the bootstrap race (§5)', () => {
  runCases([
    {
      name: 'fresh DCS, empty data dir, bootstrap section: races for initialize and bootstraps',
      input: input({ cluster: fresh, local: emptyLocal() }),
      ruleId: 'bootstrap.race',
      message: 'trying to bootstrap a new cluster',
      actions: ['write-initialize', 'bootstrap'],
      includes: [{ type: 'write-initialize', createNew: true }],
      memory: { bootstrapping: true },
    },
    {
      name: 'fresh DCS but nofailover: does not race, waits for a leader',
      input: input({ cluster: fresh, local: emptyLocal(), tags: { nofailover: true } }),
      ruleId: 'bootstrap.wait',
      message: 'waiting for leader to bootstrap',
    },
    {
      name: 'fresh DCS but failover_priority 0: does not race',
      input: input({ cluster: fresh, local: emptyLocal(), tags: { failover_priority: 0 } }),
      message: 'waiting for leader to bootstrap',
    },
    {
      name: 'fresh DCS without a bootstrap section: waits',
      input: input({ cluster: fresh, local: emptyLocal(), settings: { canBootstrap: false } }),
      message: 'waiting for leader to bootstrap',
    },
    {
      name: 'initialize key present (someone is bootstrapping), no leader: waits',
      input: input({ cluster: { ...fresh, initialize: '' }, local: emptyLocal() }),
      message: 'waiting for leader to bootstrap',
    },
    {
      name: 'cluster has a leader: clones from the leader',
      input: input({ local: emptyLocal() }),
      ruleId: 'bootstrap.clone-from-leader',
      message: "trying to bootstrap from leader 'node1'",
      actions: ['create-replica'],
      includes: [{ type: 'create-replica', source: { name: 'node1', connUrl: 'postgres://10.0.0.1:5432/postgres' } }],
    },
    {
      name: 'a running clonefrom member exists: clones from that replica, not the leader',
      input: input({ name: 'node4', local: emptyLocal(), cluster: cluster({ members: [member('node1'), member('node2'), member('node3', { tags: { clonefrom: true } })] }) }),
      ruleId: 'bootstrap.clone-from-replica',
      message: "trying to bootstrap from replica 'node3'",
    },
    {
      name: 'no leader but a replica method works without one, initialize not empty: clones without leader',
      input: input({ cluster: unlockedCluster(), local: emptyLocal(), settings: { replicaMethodWithoutLeader: true } }),
      message: 'trying to bootstrap (without leader)',
      actions: ['create-replica'],
    },
    {
      name: 'no leader, replica method without leader, but bootstrap in flight (initialize ""): waits',
      input: input({ cluster: unlockedCluster({ initialize: '' }), local: emptyLocal(), settings: { replicaMethodWithoutLeader: true } }),
      message: 'waiting for leader to bootstrap',
    },
    {
      name: 'standby cluster, fresh DCS: bootstraps a standby leader from the remote member',
      input: input({ cluster: fresh, local: emptyLocal(), settings: { standbyCluster: { host: '10.1.0.1', port: 5432 } } }),
      message: 'trying to bootstrap a new standby leader',
      actions: ['write-initialize', 'create-replica'],
      includes: [{ type: 'create-replica', source: { name: 'remote_member', connUrl: 'postgres://10.1.0.1:5432/postgres', createReplicaMethods: ['basebackup'] } }],
    },
    {
      name: 'standby cluster with standby_cluster.create_replica_methods: the standby leader is cloned with those methods',
      input: input({ cluster: fresh, local: emptyLocal(), settings: { standbyCluster: { host: '10.1.0.1', port: 5432, createReplicaMethods: ['wal_g', 'basebackup'] } } }),
      includes: [{ type: 'create-replica', source: { name: 'remote_member', connUrl: 'postgres://10.1.0.1:5432/postgres', createReplicaMethods: ['wal_g', 'basebackup'] } }],
    },
    {
      name: 'standby cluster with a standby leader: a new member clones from it (its conn_url) with standby_cluster.create_replica_methods',
      input: input({ local: emptyLocal(), settings: { standbyCluster: { host: '10.1.0.1', port: 5432, createReplicaMethods: ['wal_g', 'basebackup'] } } }),
      ruleId: 'bootstrap.clone-from-leader',
      includes: [{ type: 'create-replica', source: { name: 'node1', connUrl: 'postgres://10.0.0.1:5432/postgres', createReplicaMethods: ['wal_g', 'basebackup'] } }],
    },
    {
      name: 'standby cluster with a standby leader, no standby_cluster.create_replica_methods: clones with basebackup',
      input: input({ local: emptyLocal(), settings: { standbyCluster: { host: '10.1.0.1', port: 5432 } } }),
      includes: [{ type: 'create-replica', source: { name: 'node1', connUrl: 'postgres://10.0.0.1:5432/postgres', createReplicaMethods: ['basebackup'] } }],
    },
    {
      name: 'standby cluster without leader, a standby method works without one: clones from the remote member with those methods',
      input: input({ cluster: unlockedCluster(), local: emptyLocal(), settings: { standbyCluster: { host: '10.1.0.1', port: 5432, createReplicaMethods: ['wal_g'] }, replicaMethodWithoutLeader: true } }),
      ruleId: 'bootstrap.clone-without-leader',
      includes: [{ type: 'create-replica', source: { name: 'remote_member', connUrl: 'postgres://10.1.0.1:5432/postgres', createReplicaMethods: ['wal_g'] } }],
    },
    {
      name: 'standby cluster without leader and no bootstrap: waits for standby_leader',
      input: input({ cluster: unlockedCluster(), local: emptyLocal(), settings: { standbyCluster: { host: 'h' } } }),
      message: 'waiting for standby_leader to bootstrap',
    },
    {
      name: 'lock owner whose data directory is empty: releases the lock',
      input: input({ name: 'node1', local: emptyLocal() }),
      ruleId: 'bootstrap.release-lock',
      message: 'released leader key voluntarily as data dir empty and currently leader',
      actions: ['release-lock'],
    },
    {
      name: 'lock owner whose data directory is inaccessible: releases the lock',
      input: input({ name: 'node1', local: emptyLocal({ dataDirectory: 'inaccessible' }) }),
      message: 'released leader key voluntarily as data dir not accessible and currently leader',
    },
    {
      name: 'data directory inaccessible: says so, does nothing else',
      input: input({ local: emptyLocal({ dataDirectory: 'inaccessible' }) }),
      ruleId: 'bootstrap.inaccessible',
      actions: [],
    },
    {
      name: 'paused with an empty data directory: does not clone',
      input: input({ local: emptyLocal(), settings: { paused: true } }),
      message: 'PAUSE: running with empty data directory',
      actions: [],
    },
    {
      name: 'initialize race lost (create-only write failed): reports it and stops bootstrapping',
      input: input({ cluster: fresh, local: emptyLocal(), memory: memory({ bootstrapping: true }), lastFailure: { action: { type: 'write-initialize', createNew: true }, message: 'conflict' } }),
      ruleId: 'bootstrap.race-lost',
      message: 'failed to acquire initialize lock',
      memory: { bootstrapping: false },
    },
    {
      name: 'bootstrap finished, primary running: takes the lock, writes the sysid, initialized',
      input: input({ cluster: { ...fresh, initialize: '' }, local: primaryLocal(), memory: memory({ bootstrapping: true }), lastActionResult: { type: 'bootstrap', ok: true } }),
      ruleId: 'bootstrap.done',
      message: 'initialized a new cluster',
      actions: ['write-initialize', 'take-lock', 'checkpoint'],
      includes: [{ type: 'write-initialize', createNew: false }],
    },
    {
      name: 'bootstrap finished with watchdog and strict synchronous mode: activates watchdog, sets * ',
      input: input({
        cluster: { ...fresh, initialize: '' },
        local: primaryLocal(),
        memory: memory({ bootstrapping: true }),
        settings: { watchdogMode: 'automatic', synchronousMode: true, synchronousModeStrict: true },
      }),
      actions: ['write-initialize', 'take-lock', 'watchdog', 'set-synchronous-standby-names', 'checkpoint'],
      includes: [{ type: 'set-synchronous-standby-names', value: '*' }],
    },
    {
      name: 'bootstrap failed: cancels initialize, renames the data directory, exits 1',
      input: input({ cluster: { ...fresh, initialize: '' }, local: primaryLocal({ running: false }), memory: memory({ bootstrapping: true }), lastActionResult: { type: 'bootstrap', ok: false } }),
      ruleId: 'bootstrap.failed',
      message: 'Failed to bootstrap cluster',
      actions: ['cancel-initialize', 'remove-data-directory', 'exit'],
    },
    {
      name: 'standby leader cloned and running in recovery: takes the lock at once (no end of recovery, no checkpoint)',
      input: input({
        cluster: { ...fresh, initialize: '' },
        local: replicaLocal(),
        memory: memory({ bootstrapping: true }),
        settings: { standbyCluster: { host: '10.1.0.1', port: 5432 } },
        lastActionResult: { type: 'create-replica', ok: true },
      }),
      ruleId: 'bootstrap.done',
      message: 'initialized a new cluster',
      actions: ['write-initialize', 'take-lock'],
      memory: { bootstrapping: false },
    },
    {
      name: 'standby leader clone failed (not running): cancels initialize and exits 1',
      input: input({
        cluster: { ...fresh, initialize: '' },
        local: replicaLocal({ running: false }),
        memory: memory({ bootstrapping: true }),
        settings: { standbyCluster: { host: '10.1.0.1', port: 5432 } },
        lastActionResult: { type: 'create-replica', ok: false },
      }),
      ruleId: 'bootstrap.failed',
      actions: ['cancel-initialize', 'remove-data-directory', 'exit'],
    },
    {
      name: 'bootstrap done but still in recovery: waits for the end of recovery',
      input: input({ cluster: { ...fresh, initialize: '' }, local: primaryLocal({ inRecovery: true }), memory: memory({ bootstrapping: true }) }),
      message: 'waiting for end of recovery after bootstrap',
    },
  ]);
});
