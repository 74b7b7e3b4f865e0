import { describe } from 'vitest';
import { runCases } from './case-runner.js';
import { NOW, SYSID, cluster, leaderInput, member, memory, peer, primaryLocal, replicaLocal, streamingStandby } from './fixtures.js';

const withFailover = (failover: { leader?: string; candidate?: string; scheduledAt?: string }) => cluster({ failover: { version: 7, ...failover } });

describe('decide: we hold the leader lock (§9.1, §9.2, §9.3)', () => {
  runCases([
    {
      name: 'healthy leader: renews the lock first, no action',
      input: leaderInput(),
      ruleId: 'leader.keep-lock.primary',
      message: 'no action. I am (node1), the leader with the lock',
      actions: ['update-lock'],
      includes: [{ type: 'update-lock', lastLsn: 50_000_000 }],
    },
    {
      name: 'healthy leader with watchdog: arms it if needed and keeps it alive after the renewal',
      input: leaderInput({ settings: { watchdogMode: 'automatic' } }),
      actions: ['update-lock', 'watchdog', 'watchdog'],
      includes: [{ type: 'watchdog', op: 'activate' }, { type: 'watchdog', op: 'keepalive' }],
    },
    {
      name: 'primary whose required watchdog could not be armed: demotes',
      input: leaderInput({ settings: { watchdogMode: 'required' }, lastFailure: { action: { type: 'watchdog', op: 'activate' }, message: 'watchdog device /dev/watchdog is not writable' } }),
      ruleId: 'primary.watchdog-failed.demote',
      message: 'Demoting self because watchdog could not be activated',
      actions: ['update-lock', 'demote'],
      includes: [{ type: 'demote', mode: 'immediate' }],
    },
    {
      name: 'lock holder about to promote whose required watchdog could not be armed: gives the lock up',
      input: leaderInput({ local: replicaLocal(), settings: { watchdogMode: 'required' }, lastFailure: { action: { type: 'watchdog', op: 'activate' }, message: 'not writable' } }),
      ruleId: 'primary.watchdog-failed.no-promote',
      message: 'Not promoting self because watchdog could not be activated',
      actions: ['update-lock', 'release-lock'],
    },
    {
      name: 'automatic watchdog that could not be armed: keeps running as primary',
      input: leaderInput({ settings: { watchdogMode: 'automatic' }, lastFailure: { action: { type: 'watchdog', op: 'activate' }, message: 'not writable' } }),
      ruleId: 'leader.keep-lock.primary',
    },
    {
      name: 'failsafe mode: the renewal publishes /failsafe with every member api_url and ours',
      input: leaderInput({ settings: { failsafeMode: true } }),
      includes: [{ type: 'update-lock', lastLsn: 50_000_000, failsafe: { node1: 'http://10.0.0.1:8008/patroni', node2: 'http://10.0.0.2:8008/patroni', node3: 'http://10.0.0.3:8008/patroni' } }],
    },
    {
      name: 'lock holder running as a replica: promotes after renewing the lock',
      input: leaderInput({ local: replicaLocal() }),
      ruleId: 'leader.keep-lock.promote',
      message: 'promoted self to leader because I had the session lock',
      actions: ['update-lock', 'promote'],
    },
    {
      name: 'synchronous mode, lock holder running as a replica that /sync does not name (a race decided on a snapshot read before a freeze): gives the key back',
      input: leaderInput({ local: replicaLocal(), settings: { synchronousMode: 'quorum' }, cluster: cluster({ sync: { version: 5, leader: 'node2', syncStandbys: [], quorum: 0 } }) }),
      ruleId: 'leader.not-synchronous.release',
      message: 'removed leader lock: not a synchronous standby in /sync, promoting could lose acknowledged commits',
      actions: ['update-lock', 'release-lock'],
      memory: { isLeader: false },
    },
    {
      name: 'synchronous mode, lock holder running as a replica that /sync names as a standby: promotes',
      input: leaderInput({ local: replicaLocal(), settings: { synchronousMode: true }, cluster: cluster({ sync: { version: 5, leader: 'node2', syncStandbys: ['node1'] } }) }),
      ruleId: 'leader.keep-lock.promote',
      actions: ['update-lock', 'write-sync', 'set-synchronous-standby-names', 'promote'],
    },
    {
      name: 'synchronous mode, lock holder running as a replica that /sync names as its leader (its promotion was cut short): promotes',
      input: leaderInput({ local: replicaLocal(), settings: { synchronousMode: true }, cluster: cluster({ sync: { version: 5, leader: 'node1', syncStandbys: [] } }) }),
      ruleId: 'leader.keep-lock.promote',
    },
    {
      name: 'synchronous mode, lock holder not in /sync that an explicit manual failover (no leader named) picked: promotes, accepting the loss as the request did',
      input: leaderInput({ local: replicaLocal(), settings: { synchronousMode: true }, cluster: cluster({ sync: { version: 5, leader: 'node2', syncStandbys: ['node3'] }, failover: { version: 7, candidate: 'node1' } }) }),
      ruleId: 'leader.keep-lock.promote',
    },
    {
      name: 'lock holder whose pre_promote failed: releases the lock and backs off',
      input: leaderInput({ local: replicaLocal(), lastActionResult: { type: 'promote', ok: false, cause: 'pre-promote-failed', message: 'pre_promote script exited with code 1' } }),
      ruleId: 'primary.pre-promote-failed',
      message: 'Promotion cancelled because the pre-promote script failed',
      actions: ['update-lock', 'release-lock'],
      memory: { prePromoteFailedAtMs: NOW },
    },
    {
      name: "switchover candidate holding the lock whose pre_promote failed: releases the lock before clearing the request (no reader sees the request gone while it still holds the key)",
      input: leaderInput({
        local: replicaLocal(),
        cluster: cluster({ failover: { version: 12, leader: 'node2', candidate: 'node1' } }),
        lastActionResult: { type: 'promote', ok: false, cause: 'pre-promote-failed', message: 'pre_promote script exited with code 1' },
      }),
      ruleId: 'primary.pre-promote-failed',
      actions: ['update-lock', 'release-lock', 'clear-failover'],
    },
    {
      name: 'lock holder whose pg_promote failed (pre_promote passed or absent): keeps the lock and promotes again',
      input: leaderInput({ local: replicaLocal(), lastActionResult: { type: 'promote', ok: false, message: 'promote failed: connection refused' } }),
      ruleId: 'leader.keep-lock.promote',
      actions: ['update-lock', 'promote'],
    },
    {
      name: 'leader whose initialize key has no sysid: writes it',
      input: leaderInput({ cluster: cluster({ initialize: '' }) }),
      actions: ['update-lock', 'write-initialize'],
      includes: [{ type: 'write-initialize', createNew: false, sysid: SYSID }],
    },
    {
      name: 'leader on timeline 1 with a non-empty /history: clears it',
      input: leaderInput({ cluster: cluster({ history: { version: 1, lines: [[1, 100, 'x']] } }) }),
      includes: [{ type: 'write-history', lines: [] }],
    },
    {
      name: 'leader on timeline 3 with /history for timeline 1: publishes its history file',
      input: leaderInput({
        local: primaryLocal({ timeline: 3, timelineHistory: [[1, 100, 'no recovery target specified'], [2, 200, 'no recovery target specified']] }),
      }),
      includes: [{ type: 'write-history' }],
    },
    {
      name: 'leader on timeline 4 with max_timelines_history 2: publishes only the last 2 lines of its history file',
      input: leaderInput({
        settings: { maxTimelinesHistory: 2 },
        local: primaryLocal({ timeline: 4, timelineHistory: [[1, 100, 'a'], [2, 200, 'b'], [3, 300, 'c']] }),
      }),
      includes: [{ type: 'write-history', lines: [[2, 200, 'b'], [3, 300, 'c']] }],
    },
    {
      name: 'keeps the timestamp and new leader /history has for a line whose fork matches; the stamp of our own promotion comes from the history file (Patroni §9.7)',
      input: leaderInput({
        local: primaryLocal({ timeline: 3, timelineHistory: [[1, 100, 'a'], [2, 200, 'b', '2026-12-05T19:00:00.123456+00:00', 'node1']] }),
        cluster: cluster({ history: { version: 4, lines: [[1, 100, 'a', '2026-12-01T08:00:00+00:00', 'node2']] } }),
      }),
      includes: [{ type: 'write-history', lines: [[1, 100, 'a', '2026-12-01T08:00:00+00:00', 'node2'], [2, 200, 'b', '2026-12-05T19:00:00.123456+00:00', 'node1']] }],
    },
    {
      name: 'a stored line with another fork for that timeline lends nothing',
      input: leaderInput({
        local: primaryLocal({ timeline: 3, timelineHistory: [[1, 100, 'a'], [2, 200, 'b', '2026-12-05T19:00:00+00:00', 'node1']] }),
        cluster: cluster({ history: { version: 4, lines: [[1, 150, 'a', '2026-12-01T08:00:00+00:00', 'node2']] } }),
      }),
      includes: [{ type: 'write-history', lines: [[1, 100, 'a'], [2, 200, 'b', '2026-12-05T19:00:00+00:00', 'node1']] }],
    },
    {
      name: 'leader whose stamped /history is current: does not rewrite it',
      input: leaderInput({
        local: primaryLocal({ timeline: 3, timelineHistory: [[1, 100, 'a'], [2, 200, 'b', '2026-12-05T19:00:00+00:00', 'node1']] }),
        cluster: cluster({ history: { version: 5, lines: [[1, 100, 'a', '2026-12-01T08:00:00+00:00', 'node2'], [2, 200, 'b', '2026-12-05T19:00:00+00:00', 'node1']] } }),
      }),
      excludes: ['write-history'],
    },
    {
      name: 'leader whose /history is current: does not rewrite it',
      input: leaderInput({ local: primaryLocal({ timeline: 2, timelineHistory: [[1, 100, 'x']] }), cluster: cluster({ history: { version: 1, lines: [[1, 100, 'x']] } }) }),
      excludes: ['write-history'],
    },
    {
      name: 'switchover to node2 requested, node2 healthy: asks peers first',
      input: leaderInput({ cluster: withFailover({ leader: 'node1', candidate: 'node2' }) }),
      ruleId: 'manual-failover.ask-peers',
      awaiting: 'peers',
      actions: ['fetch-peer-status'],
    },
    {
      name: 'switchover to node2, node2 eligible: demotes gracefully and hands node2 the key (it clears the request once promoting)',
      input: leaderInput({ cluster: withFailover({ leader: 'node1', candidate: 'node2' }), peers: [peer('node2'), peer('node3')] }),
      ruleId: 'manual-failover.switchover-demote',
      message: 'switchover: demoting myself',
      actions: ['update-lock', 'demote'],
      includes: [{ type: 'demote', mode: 'graceful', handOverTo: 'node2' }],
      excludes: ['clear-failover'],
    },
    {
      name: 'switchover right after our promotion, before a leader cycle wrote the new timeline to /history: writes it, then demotes (the next leader must not promote to our timeline)',
      input: leaderInput({
        cluster: cluster({ failover: { version: 7, leader: 'node1', candidate: 'node2' }, history: { version: 3, lines: [[1, 100, 'a']] } }),
        peers: [peer('node2', { timeline: 3 }), peer('node3', { timeline: 3 })],
        local: primaryLocal({ replication: [streamingStandby('node2'), streamingStandby('node3')], timeline: 3, timelineHistory: [[1, 100, 'a'], [2, 200, 'b', '2026-12-05T19:00:00+00:00', 'node1']] }),
      }),
      ruleId: 'manual-failover.switchover-demote',
      actions: ['update-lock', 'write-history', 'demote'],
    },
    {
      name: 'switchover to node2 while node2 does not stream from us yet (re-pointing after another switchover): keeps the lock and waits, looks again in a second',
      input: leaderInput({ cluster: withFailover({ leader: 'node1', candidate: 'node2' }), peers: [peer('node2'), peer('node3')], local: primaryLocal({ replication: [streamingStandby('node3')] }) }),
      ruleId: 'leader.keep-lock.primary',
      reason: /switchover: waiting for node2 to stream from me before demoting/,
      excludes: ['demote', 'clear-failover'],
      memory: { switchoverWait: { version: 7, sinceMs: NOW } },
    },
    {
      name: 'the same request still waiting within the bound: keeps waiting from the first sighting',
      input: leaderInput({ cluster: withFailover({ leader: 'node1', candidate: 'node2' }), peers: [peer('node2'), peer('node3')], local: primaryLocal({ replication: [streamingStandby('node2', 'catchup')] }), lockRenewedAtMs: NOW - 1000, memory: memory({ isLeader: true, switchoverWait: { version: 7, sinceMs: NOW - 9_000 } }) }),
      excludes: ['demote', 'clear-failover'],
      memory: { switchoverWait: { version: 7, sinceMs: NOW - 9_000 } },
    },
    {
      name: 'candidate never streamed within max(10 s, loop_wait): the switchover is cancelled with the reason, the primary stays',
      input: leaderInput({ cluster: withFailover({ leader: 'node1', candidate: 'node2' }), peers: [peer('node2'), peer('node3')], local: primaryLocal({ replication: [] }), lockRenewedAtMs: NOW - 1000, memory: memory({ isLeader: true, switchoverWait: { version: 7, sinceMs: NOW - 10_000 } }) }),
      ruleId: 'leader.keep-lock.primary',
      reason: /switchover cancelled: node2 did not stream from me within 10 s/,
      includes: [{ type: 'clear-failover', version: 7 }],
      excludes: ['demote'],
    },
    {
      name: 'a wait remembered for an older request does not count against a new one',
      input: leaderInput({ cluster: withFailover({ leader: 'node1', candidate: 'node2' }), peers: [peer('node2'), peer('node3')], local: primaryLocal({ replication: [] }), lockRenewedAtMs: NOW - 1000, memory: memory({ isLeader: true, switchoverWait: { version: 6, sinceMs: NOW - 60_000 } }) }),
      excludes: ['demote', 'clear-failover'],
      memory: { switchoverWait: { version: 7, sinceMs: NOW } },
    },
    {
      name: 'switchover to a candidate that cascades through another member (replicatefrom): not visible to us, demotes',
      input: leaderInput({ cluster: cluster({ failover: { version: 7, leader: 'node1', candidate: 'node2' }, members: [member('node1'), member('node2', { tags: { replicatefrom: 'node3' } }), member('node3')] }), peers: [peer('node2'), peer('node3')], local: primaryLocal({ replication: [streamingStandby('node3')] }) }),
      ruleId: 'manual-failover.switchover-demote',
    },
    {
      name: 'switchover without a candidate: waits until some eligible member streams',
      input: leaderInput({ cluster: withFailover({ leader: 'node1' }), peers: [peer('node2'), peer('node3')], local: primaryLocal({ replication: [] }) }),
      reason: /waiting for node2, node3 to stream from me/,
      excludes: ['demote'],
    },
    {
      name: 'manual failover (no leader named) does not wait: the operator accepted the loss',
      input: leaderInput({ cluster: withFailover({ candidate: 'node3' }), peers: [peer('node2'), peer('node3')], local: primaryLocal({ replication: [] }) }),
      ruleId: 'manual-failover.failover-demote',
    },
    {
      name: 'switchover without a candidate, some replica eligible: demotes gracefully',
      input: leaderInput({ cluster: withFailover({ leader: 'node1' }), peers: [peer('node2'), peer('node3')] }),
      message: 'switchover: demoting myself',
    },
    {
      name: 'manual failover (no leader named) to node3: "manual failover: demoting myself"',
      input: leaderInput({ cluster: withFailover({ candidate: 'node3' }), peers: [peer('node2'), peer('node3')] }),
      message: 'manual failover: demoting myself',
    },
    {
      name: 'switchover but every replica lags beyond the limit: clears the key, stays leader, says why',
      input: leaderInput({ cluster: withFailover({ leader: 'node1' }), peers: [peer('node2', { walPosition: 1_000 }), peer('node3', { walPosition: 2_000 })] }),
      message: 'no action. I am (node1), the leader with the lock',
      actions: ['update-lock', 'clear-failover'],
      reason: /no healthy members found, switchover is not possible.*ineligible: lag/,
    },
    {
      name: 'switchover naming another leader: clears the key (leader name does not match)',
      input: leaderInput({ cluster: withFailover({ leader: 'node9', candidate: 'node2' }) }),
      actions: ['update-lock', 'clear-failover'],
      reason: /leader name does not match: node9 != node1/,
    },
    {
      name: 'switchover naming ourselves as candidate: clears the key',
      input: leaderInput({ cluster: withFailover({ candidate: 'node1' }) }),
      reason: /I am already the leader, no need to manual failover/,
      actions: ['update-lock', 'clear-failover'],
    },
    {
      name: 'scheduled switchover in the future: waits, keeps the key',
      input: leaderInput({ cluster: withFailover({ leader: 'node1', candidate: 'node2', scheduledAt: new Date(NOW + 3_600_000).toISOString() }) }),
      actions: ['update-lock'],
      reason: /Awaiting switchover at/,
    },
    {
      name: 'scheduled switchover due now: asks peers and proceeds',
      input: leaderInput({ cluster: withFailover({ leader: 'node1', candidate: 'node2', scheduledAt: new Date(NOW + 2_000).toISOString() }) }),
      awaiting: 'peers',
    },
    {
      name: 'scheduled switchover long past (stale): clears the key',
      input: leaderInput({ cluster: withFailover({ leader: 'node1', candidate: 'node2', scheduledAt: new Date(NOW - 3_600_000).toISOString() }) }),
      actions: ['update-lock', 'clear-failover'],
    },
    {
      name: 'scheduled switchover with an unparsable time: clears the key',
      input: leaderInput({ cluster: withFailover({ leader: 'node1', scheduledAt: 'tomorrow' }) }),
      actions: ['update-lock', 'clear-failover'],
    },
    {
      name: 'paused: a switchover without a candidate is refused and cleared',
      input: leaderInput({ cluster: withFailover({ leader: 'node1' }), settings: { paused: true } }),
      message: 'PAUSE: no action. I am (node1), the leader with the lock',
      actions: ['update-lock', 'clear-failover'],
      reason: /possible only to a specific candidate in a paused state/,
    },
    {
      name: 'paused: a scheduled switchover is never due and never cleared',
      input: leaderInput({ cluster: withFailover({ leader: 'node1', candidate: 'node2', scheduledAt: new Date(NOW).toISOString() }), settings: { paused: true } }),
      actions: ['update-lock'],
    },
    {
      name: 'paused leader with watchdog: keeps it armed (departure from Patroni, which disables it in pause)',
      input: leaderInput({ settings: { paused: true, watchdogMode: 'required' } }),
      message: 'PAUSE: no action. I am (node1), the leader with the lock',
      actions: ['update-lock', 'watchdog', 'watchdog'],
      includes: [{ type: 'watchdog', op: 'activate' }, { type: 'watchdog', op: 'keepalive' }],
    },
    {
      name: 'paused lock owner that is not primary: removes the leader lock',
      input: leaderInput({ local: replicaLocal(), settings: { paused: true } }),
      ruleId: 'leader.paused.release',
      message: 'PAUSE: removed leader lock because postgres is not running as primary',
      actions: ['release-lock'],
    },
    {
      name: 'paused lock owner that is the switchover candidate: waits for its promotion',
      input: leaderInput({ local: replicaLocal(), settings: { paused: true }, cluster: withFailover({ candidate: 'node1' }) }),
      message: 'PAUSE: waiting to become primary after promote...',
      actions: [],
    },
    {
      name: 'paused running primary with the lock: renews and does nothing else',
      input: leaderInput({ settings: { paused: true } }),
      message: 'PAUSE: no action. I am (node1), the leader with the lock',
      actions: ['update-lock'],
    },
    {
      name: 'standby cluster lock holder running as replica: follows the remote primary',
      input: leaderInput({ local: replicaLocal({ followingHost: '10.1.0.1:5432' }), settings: { standbyCluster: { host: '10.1.0.1', port: 5432 } } }),
      ruleId: 'leader.standby-leader',
      message: 'no action. I am (node1), the standby leader with the lock',
      actions: ['update-lock'],
    },
    {
      name: 'standby cluster lock holder running as a primary: demotes (cannot be a real primary)',
      input: leaderInput({ settings: { standbyCluster: { host: '10.1.0.1' } } }),
      message: 'cannot be a real primary in standby cluster',
      actions: ['update-lock', 'demote'],
    },
    {
      name: 'leader with a restart request: renews the lock, then restarts',
      input: leaderInput({ requests: { restart: {} } }),
      ruleId: 'request.restart',
      actions: ['update-lock', 'restart'],
    },
    {
      name: 'leader with a reinitialize request: refuses (I am the leader)',
      input: leaderInput({ requests: { reinitialize: { force: false, fromLeader: false } } }),
      message: 'I am the leader, can not reinitialize',
    },
    {
      name: 'leader in a cluster where node2 joined with a nosync tag: no sync actions without synchronous mode',
      input: leaderInput({ cluster: cluster({ members: [member('node1'), member('node2', { tags: { nosync: true } })] }) }),
      actions: ['update-lock'],
    },
    {
      name: 'memory: a running primary keeps lastSeenLeader = itself',
      input: leaderInput({ lockRenewedAtMs: NOW - 1000, memory: memory({ isLeader: true }) }),
      memory: { lastSeenLeader: 'node1' },
    },
  ]);
});
