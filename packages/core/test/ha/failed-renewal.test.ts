import { describe } from 'vitest';
import { runCases } from './case-runner.js';
import { NOW, leaderInput, memory, primaryLocal } from './fixtures.js';

/** The snapshot (a watch cache that missed the broken link) still names us; our own renewal said otherwise. */
/** A leader whose lock the DCS confirmed `renewedAgoMs` ago. */
const leaderState = (renewedAgoMs: number, extra = {}) => ({ lockRenewedAtMs: NOW - renewedAgoMs, memory: memory({ isLeader: true, ...extra }) });
const updateLock = { type: 'update-lock' } as const;
const timedOut = { action: updateLock, message: 'update-lock: DCS unreachable: deadline exceeded', kind: 'unreachable' } as const;
const refused = { action: updateLock, message: 'update-lock: the leader key is owned by node2', kind: 'lost' } as const;

describe('decide: the renewal of our lock failed while the snapshot still names us (§9.1, §10)', () => {
  runCases([
    {
      name: 'renewal timed out, lock renewed 10 s ago (valid 15 s more, retry_timeout 10): keeps running, no renewal this cycle, wakes before expiry',
      input: leaderInput({ lastFailure: timedOut, ...leaderState(10_000) }),
      ruleId: 'dcs-unreachable.lock-still-valid',
      actions: [],
      reason: /could not be renewed.*still the leader by our own clock for 15 s/,
    },
    {
      name: 'renewal timed out, lock renewed 20 s ago (valid 5 s more, less than retry_timeout): demotes offline before the key can expire',
      input: leaderInput({ lastFailure: timedOut, ...leaderState(20_000) }),
      ruleId: 'dcs-unreachable.demote',
      includes: [{ type: 'demote', mode: 'offline' }],
    },
    {
      name: 'renewal timed out with failsafe mode, lock about to expire: asks every member first',
      input: leaderInput({ lastFailure: timedOut, ...leaderState(20_000, { lastFailsafe: { node1: 'a', node2: 'b' } }), settings: { failsafeMode: true } }),
      ruleId: 'dcs-unreachable.failsafe-check',
      actions: ['failsafe-check'],
    },
    {
      name: 'renewal refused (the key is not ours) while the snapshot still names us: demotes at once without touching the key',
      input: leaderInput({ lastFailure: refused, ...leaderState(1_000) }),
      ruleId: 'leader.renewal-refused.demote',
      includes: [{ type: 'demote', mode: 'immediate-nolock' }],
      excludes: ['update-lock', 'release-lock'],
    },
    {
      name: 'renewal timed out while paused: nothing is stopped',
      input: leaderInput({ lastFailure: timedOut, ...leaderState(24_000), settings: { paused: true } }),
      excludes: ['demote'],
    },
  ]);
});

describe('decide: the DCS is gone while a restart of the leader runs in the background', () => {
  const down = { ok: false, message: 'etcd: deadline exceeded' } as const;
  const restarting = { name: 'restart', type: 'restart', startedAtMs: NOW - 2_000 } as const;
  const stopped = primaryLocal({ running: false, accepting: false });
  runCases([
    {
      name: 'lock still valid beyond one more attempt: the restart goes on',
      input: leaderInput({ cluster: down, running: restarting, local: stopped, ...leaderState(5_000) }),
      excludes: ['demote'],
    },
    {
      name: 'lock validity about to end: the restart is cancelled by a demotion, though PostgreSQL looks stopped (it would come up as a primary after the key expired)',
      input: leaderInput({ cluster: down, running: restarting, local: stopped, ...leaderState(20_000) }),
      ruleId: 'dcs-unreachable.cancel-primary-start',
      includes: [{ type: 'demote', mode: 'offline' }],
    },
    {
      name: 'the same in pause: nothing is stopped',
      input: leaderInput({ cluster: down, running: restarting, local: stopped, ...leaderState(20_000), settings: { paused: true } }),
      excludes: ['demote'],
    },
    {
      name: 'a replica starting in the background is not touched',
      input: leaderInput({ cluster: down, running: { name: 'start', type: 'start', startedAtMs: NOW }, local: stopped, memory: memory({ isLeader: false }) }),
      excludes: ['demote'],
    },
  ]);
});
