/**
 * A switchover's former leader hands the key to its candidate in the
 * release (manual-failover.ts handOverTarget), and the candidate holding a
 * key it did not race for promotes only as the race would have let it
 * (own-lock.ts handedOver).
 */
import { describe, expect } from 'vitest';
import { runCases } from './case-runner.js';
import { cluster, input, leaderInput, member, peer, primaryLocal, replicaLocal, streamingStandby } from './fixtures.js';

const switchover = (failover: { leader?: string; candidate?: string } = { leader: 'node1', candidate: 'node2' }) => cluster({ failover: { version: 7, ...failover } });
const peers = [peer('node2'), peer('node3')];
const handedTo = (extra: Parameters<typeof cluster>[0] = {}) =>
  cluster({ leader: { name: 'node2', version: 11 }, failover: { version: 7, leader: 'node1', candidate: 'node2' }, members: [member('node1', { state: 'stopped', role: 'replica' }), member('node2'), member('node3')], ...extra });
const anyName = expect.any(String) as unknown;

describe('decide: a switchover hands the leader key over', () => {
  runCases([
    {
      name: 'switchover to a named candidate that streams from us: the graceful demotion hands the key to it',
      input: leaderInput({ cluster: switchover(), peers }),
      ruleId: 'manual-failover.switchover-demote',
      actions: ['update-lock', 'demote'],
      includes: [{ type: 'demote', mode: 'graceful', handOverTo: 'node2' }],
    },
    {
      name: 'switchover without a candidate: the plain release (the members race)',
      input: leaderInput({ cluster: switchover({ leader: 'node1' }), peers }),
      ruleId: 'manual-failover.switchover-demote',
      includes: [{ type: 'demote', mode: 'graceful' }],
      lacks: [{ type: 'demote', handOverTo: anyName }],
    },
    {
      name: 'candidate that cascades through another member (it would not get our shutdown checkpoint from us): the plain release',
      input: leaderInput({
        cluster: cluster({ failover: { version: 7, leader: 'node1', candidate: 'node2' }, members: [member('node1'), member('node2', { tags: { replicatefrom: 'node3' } }), member('node3')] }),
        peers,
        local: primaryLocal({ replication: [streamingStandby('node3')] }),
      }),
      ruleId: 'manual-failover.switchover-demote',
      lacks: [{ type: 'demote', handOverTo: anyName }],
    },
    {
      name: 'quorum mode: the plain release (the promotion needs the peers’ positions)',
      input: leaderInput({ cluster: switchover(), peers, settings: { synchronousMode: 'quorum' } }),
      lacks: [{ type: 'demote', handOverTo: anyName }],
    },
    {
      name: 'paused: the plain release (the candidate of a paused switchover waits for the operator)',
      input: leaderInput({ cluster: switchover(), peers, settings: { paused: true } }),
      lacks: [{ type: 'demote', handOverTo: anyName }],
    },
    {
      name: 'manual failover (no leader named) to a candidate: the plain release',
      input: leaderInput({ cluster: switchover({ candidate: 'node2' }), peers }),
      lacks: [{ type: 'demote', handOverTo: anyName }],
    },
    {
      name: 'candidate handed the key, as far as the former leader: renews without /status, promotes, then clears the request',
      input: input({ name: 'node2', local: replicaLocal(), cluster: handedTo() }),
      ruleId: 'switchover.handed-over.promote',
      message: 'promoted self to leader: node1 handed over the lock for the switchover',
      actions: ['update-lock', 'promote', 'clear-failover'],
      includes: [{ type: 'clear-failover', version: 7 }],
      lacks: [{ type: 'update-lock', lastLsn: expect.any(Number) as unknown }],
    },
    {
      name: 'candidate handed the key but behind the former leader’s last position by more than maximum_lag_on_failover: gives the key back',
      input: input({ name: 'node2', local: replicaLocal({ walPosition: 40_000_000 }), cluster: handedTo() }),
      ruleId: 'switchover.handed-over.release',
      actions: ['update-lock', 'release-lock'],
      reason: /behind the former leader's last position, more than maximum_lag_on_failover/,
      memory: { isLeader: false },
    },
    {
      name: 'quorum mode, candidate handed the key one byte behind: gives the key back (no peers’ proof)',
      input: input({ name: 'node2', local: replicaLocal({ walPosition: 49_999_999 }), cluster: handedTo(), settings: { synchronousMode: 'quorum' } }),
      ruleId: 'switchover.handed-over.release',
      reason: /more than quorum mode allows/,
    },
    {
      name: 'synchronous mode, candidate handed the key but not in /sync: gives the key back',
      input: input({ name: 'node2', local: replicaLocal(), cluster: handedTo({ sync: { version: 3, leader: 'node1', syncStandbys: ['node3'] } }), settings: { synchronousMode: true } }),
      ruleId: 'switchover.handed-over.release',
      reason: /not a synchronous standby/,
    },
    {
      name: 'candidate handed the key but tagged nofailover since the former leader asked: gives the key back',
      input: input({ name: 'node2', local: replicaLocal(), cluster: handedTo(), tags: { nofailover: true } }),
      ruleId: 'switchover.handed-over.release',
      reason: /tagged nofailover/,
    },
  ]);
});
