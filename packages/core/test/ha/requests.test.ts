import { describe } from 'vitest';
import { runCases } from './case-runner.js';
import { NOW, cluster, input, leaderInput, member, replicaLocal, settings } from './fixtures.js';

const START = '2026-11-24 10:00:00+00:00';

describe('decide: operator requests (spec/ha-loop.md §12)', () => {
  runCases([
    {
      name: 'replica asked to restart: restarts in the background',
      input: input({ requests: { restart: { timeoutSeconds: 7 } } }),
      ruleId: 'request.restart',
      message: 'restart initiated',
      includes: [{ type: 'restart', timeoutSeconds: 7 }],
    },
    {
      name: 'restart for a role this member does not have: refused',
      input: input({ requests: { restart: { role: 'primary' } } }),
      ruleId: 'request.restart.conditions',
      message: 'restart conditions are not satisfied',
      actions: [],
    },
    {
      name: 'restart only for servers older than the version given, and this one is not: refused',
      input: input({ local: replicaLocal({ serverVersion: 150004 }), requests: { restart: { postgresVersion: 150004 } } }),
      ruleId: 'request.restart.conditions',
      actions: [],
    },
    {
      name: 'restart only for servers older than the version given, and this one is: restarts',
      input: input({ local: replicaLocal({ serverVersion: 150004 }), requests: { restart: { postgresVersion: 150005 } } }),
      ruleId: 'request.restart',
    },
    {
      name: 'restart only when pending, and nothing is pending: refused',
      input: input({ requests: { restart: { restartPending: true } } }),
      ruleId: 'request.restart.conditions',
      actions: [],
    },
    {
      name: 'leader asked to restart as primary: renews the lock, then restarts',
      input: leaderInput({ requests: { restart: { role: 'master' } } }),
      ruleId: 'request.restart',
      actions: ['update-lock', 'restart'],
    },
    {
      name: 'scheduled restart due after PostgreSQL restarted since it was scheduled: dropped',
      input: input({ local: replicaLocal({ postmasterStartTime: '2026-11-25 00:30:00+00:00' }), requests: { restart: { scheduled: { postmasterStartTime: START } } } }),
      ruleId: 'request.restart.already-happened',
      actions: [],
    },
    {
      name: 'scheduled restart due with the same postmaster: restarts',
      input: input({ local: replicaLocal({ postmasterStartTime: START }), requests: { restart: { scheduled: { postmasterStartTime: START } } } }),
      ruleId: 'request.restart',
    },
    {
      name: 'scheduled restart due while the cluster is paused: skipped (an explicit restart is not)',
      input: input({ settings: settings({ paused: true }), requests: { restart: { scheduled: {} } } }),
      ruleId: 'request.restart.scheduled-paused',
      actions: [],
    },
    {
      name: 'restart while paused and PostgreSQL is stopped: starts it (Patroni: a no-op stop, then start)',
      input: input({ settings: settings({ paused: true }), local: replicaLocal({ running: false, accepting: false }), requests: { restart: {} } }),
      ruleId: 'request.restart',
      includes: [{ type: 'restart' }],
    },
    {
      name: 'explicit restart while paused: restarts',
      input: input({ settings: settings({ paused: true }), requests: { restart: {} } }),
      ruleId: 'request.restart',
    },
    {
      name: 'reinitialize: clones from a running clonefrom replica',
      input: input({
        cluster: cluster({ members: [member('node1'), member('node2'), member('node3', { tags: { clonefrom: true }, conn_url: 'postgres://10.0.0.3:5432/postgres' })] }),
        requests: { reinitialize: { force: false, fromLeader: false } },
      }),
      ruleId: 'request.reinitialize',
      includes: [{ type: 'reinitialize', source: { name: 'node3', connUrl: 'postgres://10.0.0.3:5432/postgres' } }],
    },
    {
      name: 'reinitialize in a standby cluster: clones from the standby leader with standby_cluster.create_replica_methods',
      input: input({ settings: { standbyCluster: { host: '10.9.0.1', createReplicaMethods: ['wal_g', 'basebackup'] } }, requests: { reinitialize: { force: false, fromLeader: true } } }),
      ruleId: 'request.reinitialize',
      includes: [{ type: 'reinitialize', source: { name: 'node1', connUrl: 'postgres://10.0.0.1:5432/postgres', createReplicaMethods: ['wal_g', 'basebackup'] } }],
    },
    {
      name: 'reinitialize from the leader: clones from the leader even with a clonefrom replica',
      input: input({
        cluster: cluster({ members: [member('node1'), member('node2'), member('node3', { tags: { clonefrom: true } })] }),
        requests: { reinitialize: { force: false, fromLeader: true } },
      }),
      ruleId: 'request.reinitialize',
      includes: [{ type: 'reinitialize', source: { name: 'node1', connUrl: 'postgres://10.0.0.1:5432/postgres' } }],
    },
    {
      name: 'reinitialize while a clone runs: answered with the running action (no new job)',
      input: input({ running: { name: "bootstrap from 'node1'", type: 'create-replica', startedAtMs: NOW }, requests: { reinitialize: { force: false, fromLeader: false } } }),
      ruleId: 'long-action.in-progress',
      excludes: ['reinitialize'],
    },
    {
      name: 'reinitialize with force while a clone runs: re-clones (the runtime cancels the running job first)',
      input: input({ running: { name: "bootstrap from 'node1'", type: 'create-replica', startedAtMs: NOW }, requests: { reinitialize: { force: true, fromLeader: false } } }),
      ruleId: 'request.reinitialize',
      includes: [{ type: 'reinitialize', force: true }],
    },
    {
      name: 'reinitialize with force never cancels a demotion',
      input: input({ running: { name: 'demote', type: 'demote', startedAtMs: NOW }, requests: { reinitialize: { force: true, fromLeader: false } } }),
      excludes: ['reinitialize'],
    },
    {
      name: 'reinitialize with force on the leader: still refused',
      input: leaderInput({ running: { name: 'restart', type: 'restart', startedAtMs: NOW }, requests: { reinitialize: { force: true, fromLeader: false } } }),
      excludes: ['reinitialize'],
    },
    {
      name: 'reinitialize without a leader: the leader race comes first, nothing is wiped',
      input: input({ cluster: cluster({ leader: undefined }), requests: { reinitialize: { force: false, fromLeader: false } } }),
      ruleId: /^race\./,
      excludes: ['reinitialize'],
    },
  ]);
});
