import { describe, expect, it } from 'vitest';
import { decide } from '../../src/ha/index.js';
import { runCases } from './case-runner.js';
import { NOW, cluster, input, leaderInput, member, memory, peer, primaryLocal, replicaLocal, unlockedCluster } from './fixtures.js';

const down = { ok: false, message: 'etcd: deadline exceeded' } as const;
/** A leader whose lock the DCS confirmed `renewedAgoMs` ago. */
const leaderState = (renewedAgoMs: number, extra = {}) => ({ lockRenewedAtMs: NOW - renewedAgoMs, memory: memory({ isLeader: true, ...extra }) });

describe('decide: the DCS is unreachable (§10)', () => {
  runCases([
    {
      name: 'replica, DCS unreachable: says so and changes nothing',
      input: input({ cluster: down }),
      ruleId: 'dcs-unreachable.replica',
      message: 'DCS is not accessible',
      actions: [],
    },
    {
      name: 'primary, DCS unreachable, lock renewed 3 s ago (valid for 22 s more): keeps running, asks to be woken before expiry',
      input: leaderInput({ cluster: down, ...leaderState(3_000) }),
      ruleId: 'dcs-unreachable.lock-still-valid',
      message: 'DCS is not accessible',
      actions: [],
      reason: /still the leader by our own clock for 22 s/,
    },
    {
      name: 'primary, DCS unreachable, lock about to expire (less than retry_timeout left): demotes offline',
      input: leaderInput({ cluster: down, ...leaderState(18_000) }),
      ruleId: 'dcs-unreachable.demote',
      message: 'demoting self because DCS is not accessible and I was a leader',
      includes: [{ type: 'demote', mode: 'offline' }],
    },
    {
      name: 'primary, DCS unreachable, never renewed a lock: demotes offline',
      input: input({ name: 'node1', cluster: down, local: primaryLocal() }),
      includes: [{ type: 'demote', mode: 'offline' }],
    },
    {
      name: 'primary whose clock says the lock expired long ago (clock jumped forward): demotes',
      input: leaderInput({ cluster: down, ...leaderState(120_000) }),
      actions: ['demote'],
    },
    {
      name: 'safety_margin -1 means ttl/2: lock renewed 12 s ago is no longer kept',
      input: leaderInput({ cluster: down, ...leaderState(12_000), settings: { safetyMarginSeconds: -1 } }),
      actions: ['demote'],
    },
    {
      name: 'failsafe mode, lock expired by our clock: asks every member in /failsafe',
      input: leaderInput({ cluster: down, ...leaderState(25_000, { lastFailsafe: { node1: 'a', node2: 'b', node3: 'c' } }), settings: { failsafeMode: true } }),
      ruleId: 'dcs-unreachable.failsafe-check',
      awaiting: 'failsafe',
      includes: [{ type: 'failsafe-check', members: { node2: 'b', node3: 'c' } }],
    },
    {
      name: 'failsafe mode, every member accepted: continues as leader',
      input: leaderInput({ cluster: down, ...leaderState(25_000, { lastFailsafe: { node1: 'a', node2: 'b', node3: 'c' } }), settings: { failsafeMode: true }, failsafeAccepted: ['node2', 'node3'] }),
      message: 'continue to run as a leader because failsafe mode is enabled and all members are accessible',
      memory: { failsafeActive: true },
    },
    {
      name: 'failsafe mode, one member did not accept: demotes offline',
      input: leaderInput({ cluster: down, ...leaderState(25_000, { lastFailsafe: { node1: 'a', node2: 'b', node3: 'c' } }), settings: { failsafeMode: true }, failsafeAccepted: ['node2'] }),
      actions: ['demote'],
      reason: /no answer from node3/,
    },
    {
      name: 'failsafe mode, /failsafe does not list us: demotes offline',
      input: leaderInput({ cluster: down, ...leaderState(25_000, { lastFailsafe: { node2: 'b' } }), settings: { failsafeMode: true } }),
      actions: ['demote'],
    },
    {
      name: 'failsafe mode, single-member /failsafe (just us): passes trivially',
      input: leaderInput({ cluster: down, ...leaderState(25_000, { lastFailsafe: { node1: 'a' } }), settings: { failsafeMode: true } }),
      ruleId: 'dcs-unreachable.failsafe-leader',
    },
    {
      name: 'paused primary, DCS unreachable: does nothing',
      input: leaderInput({ cluster: down, ...leaderState(60_000), settings: { paused: true } }),
      message: 'PAUSE: DCS is not accessible',
      actions: [],
    },
    // Paused with failsafe mode (a departure: Patroni skips failsafe in pause). The watchdog stays armed
    // in pause, so a lock that ran out with the DCS away reset the primary's machine — an operator
    // upgrading etcd under pause lost the primary. Every member answering keeps it fed, as outside pause.
    {
      name: 'paused, failsafe mode, the lock ran out with the DCS away: asks every member of /failsafe',
      input: leaderInput({ cluster: down, ...leaderState(25_000, { lastFailsafe: { node1: 'a', node2: 'b', node3: 'c' } }), settings: { paused: true, failsafeMode: true, watchdogMode: 'automatic' } }),
      ruleId: 'dcs-unreachable.failsafe-check',
      includes: [{ type: 'failsafe-check', members: { node2: 'b', node3: 'c' } }],
    },
    {
      name: 'paused, failsafe mode, every member answered: runs on as the leader and feeds the watchdog',
      input: leaderInput({ cluster: down, ...leaderState(60_000, { lastFailsafe: { node1: 'a', node2: 'b', node3: 'c' } }), settings: { paused: true, failsafeMode: true, watchdogMode: 'automatic' }, failsafeAccepted: ['node2', 'node3'] }),
      ruleId: 'dcs-unreachable.failsafe-leader',
      message: 'PAUSE: continue to run as a leader because failsafe mode is enabled and all members are accessible',
      actions: ['watchdog'],
      includes: [{ type: 'watchdog', op: 'keepalive' }],
    },
    {
      name: 'paused, failsafe mode, a member did not answer: demotes nothing in pause, and does not feed the watchdog',
      input: leaderInput({ cluster: down, ...leaderState(60_000, { lastFailsafe: { node1: 'a', node2: 'b', node3: 'c' } }), settings: { paused: true, failsafeMode: true, watchdogMode: 'automatic' }, failsafeAccepted: ['node2'] }),
      ruleId: 'dcs-unreachable.idle',
      message: 'PAUSE: DCS is not accessible',
      actions: [],
      reason: /no answer from node3; paused: PostgreSQL left as it is/,
    },
    {
      name: 'paused, failsafe mode, lock still valid: waits like an unpaused leader',
      input: leaderInput({ cluster: down, ...leaderState(3_000, { lastFailsafe: { node1: 'a', node2: 'b', node3: 'c' } }), settings: { paused: true, failsafeMode: true } }),
      ruleId: 'dcs-unreachable.lock-still-valid',
      actions: [],
    },
    {
      name: 'paused, failsafe mode, a primary running without the lock (another member leads): no failsafe round',
      input: input({ cluster: down, local: primaryLocal(), memory: memory({ lastFailsafe: { node1: 'a', node2: 'b', node3: 'c' } }), settings: { paused: true, failsafeMode: true } }),
      ruleId: 'dcs-unreachable.idle',
      actions: [],
    },
    {
      name: 'PostgreSQL stopped, DCS unreachable: does nothing',
      input: input({ cluster: down, local: replicaLocal({ running: false }) }),
      ruleId: 'dcs-unreachable.idle',
    },
    {
      name: 'DCS unreachable: remembers since when',
      input: input({ cluster: down }),
      memory: { dcsUnreachableSinceMs: NOW },
    },
    {
      name: 'DCS back after an outage, anti-flapping on: the last leader gets a claim for one ttl',
      input: input({ cluster: unlockedCluster(), settings: { preferLastLeaderAfterDcsOutage: true }, memory: memory({ dcsUnreachableSinceMs: NOW - 60_000, lastSeenLeader: 'node1' }) }),
      memory: { lastLeaderClaim: { name: 'node1', untilMs: NOW + 30_000 } },
    },
  ]);
});

describe('decide: synchronous replication (§9.6, §8.1)', () => {
  const syncCluster = (standbys: string[], leader = 'node1') => unlockedCluster({ sync: { version: 5, leader, syncStandbys: standbys } });
  const leaderSync = (standbys: string[]) => cluster({ sync: { version: 5, leader: 'node1', syncStandbys: standbys } });
  const streaming = (name: string, syncState: string) => ({ applicationName: name, state: 'streaming', syncState, syncPriority: 1, flushLsn: 50_000_000 });
  runCases([
    {
      name: 'sync mode, we are the /sync standby: may race and promote after claiming /sync',
      input: input({ cluster: syncCluster(['node2']), settings: { synchronousMode: true }, peers: [peer('node1', { reachable: false }), peer('node3')] }),
      actions: ['acquire-lock', 'write-sync', 'set-synchronous-standby-names', 'promote'],
      includes: [{ type: 'write-sync', leader: 'node2', standbys: [], version: 5 }, { type: 'set-synchronous-standby-names', value: '' }],
    },
    {
      name: 'sync mode strict: the promoted member sets synchronous_standby_names to *',
      input: input({ cluster: syncCluster(['node2']), settings: { synchronousMode: true, synchronousModeStrict: true }, peers: [] }),
      includes: [{ type: 'set-synchronous-standby-names', value: '*' }],
    },
    {
      name: 'sync mode, we are not in /sync: may not promote even when ahead (incident #5)',
      input: input({ name: 'node3', cluster: syncCluster(['node2']), settings: { synchronousMode: true }, peers: [peer('node1', { reachable: false }), peer('node2', { reachable: false })] }),
      reason: /not a synchronous standby/,
      excludes: ['acquire-lock', 'promote'],
    },
    {
      name: 'sync mode, a non-sync peer is ahead: ignored, only /sync members compete',
      input: input({ cluster: syncCluster(['node2']), settings: { synchronousMode: true }, peers: [peer('node1', { reachable: false }), peer('node3', { walPosition: 70_000_000 })] }),
      includes: [{ type: 'promote' }],
    },
    {
      name: 'sync mode, the former primary (/sync leader) is ahead but reachable as replica: ignored',
      input: input({ cluster: syncCluster(['node2']), settings: { synchronousMode: true }, peers: [peer('node1', { walPosition: 70_000_000 })] }),
      includes: [{ type: 'promote' }],
    },
    {
      name: 'sync mode, switchover to an async member: it may not take over',
      input: input({ name: 'node3', cluster: unlockedCluster({ sync: { version: 5, leader: 'node1', syncStandbys: ['node2'] }, failover: { version: 2, leader: 'node1', candidate: 'node3' } }), settings: { synchronousMode: true } }),
      excludes: ['promote'],
    },
    {
      name: 'leader in sync mode without a /sync key: claims it with nobody named',
      input: leaderInput({ settings: { synchronousMode: true } }),
      actions: ['update-lock', 'write-sync'],
      includes: [{ type: 'write-sync', leader: 'node1', standbys: [] }],
    },
    {
      name: 'leader in sync mode, node2 streams async: names it in synchronous_standby_names first',
      input: leaderInput({ settings: { synchronousMode: true }, cluster: leaderSync([]), local: primaryLocal({ replication: [streaming('node2', 'async')] }) }),
      actions: ['update-lock', 'set-synchronous-standby-names'],
      includes: [{ type: 'set-synchronous-standby-names', value: 'node2' }],
    },
    {
      name: 'leader in sync mode, PostgreSQL confirms node2 synchronous: writes it into /sync second',
      input: leaderInput({ settings: { synchronousMode: true }, cluster: leaderSync([]), local: primaryLocal({ synchronousStandbyNames: 'node2', replication: [streaming('node2', 'sync')] }) }),
      actions: ['update-lock', 'write-sync'],
      includes: [{ type: 'write-sync', leader: 'node1', standbys: ['node2'], version: 5 }],
    },
    {
      name: 'leader in sync mode, node2 is sync but has not reached our position when the value came into force: not in /sync yet',
      input: leaderInput({
        settings: { synchronousMode: true },
        cluster: leaderSync([]),
        memory: memory({ isLeader: true, lastSeenLeader: 'node1', syncSetting: { setting: 'node2', sinceLsn: 55_000_000 } }),
        local: primaryLocal({ walPosition: 60_000_000, synchronousStandbyNames: 'node2', replication: [streaming('node2', 'sync')] }),
      }),
      actions: ['update-lock'],
      memory: { syncSetting: { setting: 'node2', sinceLsn: 55_000_000 } },
    },
    {
      name: 'leader in sync mode, node2 is sync and past that position: written into /sync',
      input: leaderInput({
        settings: { synchronousMode: true },
        cluster: leaderSync([]),
        memory: memory({ isLeader: true, lastSeenLeader: 'node1', syncSetting: { setting: 'node2', sinceLsn: 45_000_000 } }),
        local: primaryLocal({ walPosition: 60_000_000, synchronousStandbyNames: 'node2', replication: [streaming('node2', 'sync')] }),
      }),
      includes: [{ type: 'write-sync', leader: 'node1', standbys: ['node2'] }],
    },
    {
      name: 'leader in sync mode, the value just changed: the position it came into force at is ours now',
      input: leaderInput({
        settings: { synchronousMode: true },
        cluster: leaderSync([]),
        memory: memory({ isLeader: true, lastSeenLeader: 'node1', syncSetting: { setting: 'node3', sinceLsn: 10_000_000 } }),
        local: primaryLocal({ walPosition: 60_000_000, synchronousStandbyNames: 'node2', replication: [streaming('node2', 'sync')] }),
      }),
      actions: ['update-lock'],
      memory: { syncSetting: { setting: 'node2', sinceLsn: 60_000_000 } },
    },
    {
      name: 'leader in sync mode, /sync names node2 which stopped streaming, node3 now streams: narrows /sync before PostgreSQL',
      input: leaderInput({ settings: { synchronousMode: true }, cluster: leaderSync(['node2']), local: primaryLocal({ synchronousStandbyNames: 'node2', replication: [streaming('node3', 'async')] }) }),
      actions: ['update-lock', 'write-sync', 'set-synchronous-standby-names'],
      includes: [{ type: 'write-sync', leader: 'node1', standbys: [] }, { type: 'set-synchronous-standby-names', value: 'node3' }],
    },
    {
      name: 'leader in sync mode, steady state: nothing to change',
      input: leaderInput({ settings: { synchronousMode: true }, cluster: leaderSync(['node2']), local: primaryLocal({ synchronousStandbyNames: 'node2', replication: [streaming('node2', 'sync'), streaming('node3', 'async')] }) }),
      actions: ['update-lock'],
    },
    {
      name: 'leader in strict sync mode with no standby streaming: synchronous_standby_names = *',
      input: leaderInput({ settings: { synchronousMode: true, synchronousModeStrict: true }, cluster: leaderSync([]), local: primaryLocal({ synchronousStandbyNames: '' }) }),
      includes: [{ type: 'set-synchronous-standby-names', value: '*' }],
    },
    {
      name: 'nosync member is never chosen as synchronous standby',
      input: leaderInput({ settings: { synchronousMode: true }, cluster: cluster({ sync: { version: 5, leader: 'node1', syncStandbys: [] }, members: [member('node1'), member('node2', { tags: { nosync: true } })] }), local: primaryLocal({ replication: [streaming('node2', 'async')] }) }),
      actions: ['update-lock'],
    },
    {
      name: 'sync_priority 0 member is never chosen as synchronous standby (like nosync)',
      input: leaderInput({ settings: { synchronousMode: true }, cluster: cluster({ sync: { version: 5, leader: 'node1', syncStandbys: [] }, members: [member('node1'), member('node2', { tags: { sync_priority: 0 } })] }), local: primaryLocal({ replication: [streaming('node2', 'async')] }) }),
      actions: ['update-lock'],
    },
    {
      name: 'a streaming member with a higher sync_priority replaces the /sync standby: narrows /sync before PostgreSQL',
      input: leaderInput({
        settings: { synchronousMode: true },
        cluster: cluster({ sync: { version: 5, leader: 'node1', syncStandbys: ['node2'] }, members: [member('node1'), member('node2'), member('node3', { tags: { sync_priority: 3 } })] }),
        local: primaryLocal({ synchronousStandbyNames: 'node2', replication: [streaming('node2', 'sync'), streaming('node3', 'async')] }),
      }),
      actions: ['update-lock', 'write-sync', 'set-synchronous-standby-names'],
      includes: [{ type: 'write-sync', leader: 'node1', standbys: [] }, { type: 'set-synchronous-standby-names', value: 'node3' }],
    },
    {
      name: 'maximum_lag_on_syncnode: the /sync standby lagging too far is swapped for a healthy one, /sync narrowed first',
      input: leaderInput({
        settings: { synchronousMode: true, maximumLagOnSyncnodeBytes: 1_048_576 },
        cluster: leaderSync(['node2']),
        local: primaryLocal({ synchronousStandbyNames: 'node2', replication: [{ ...streaming('node2', 'sync'), flushLsn: 40_000_000 }, streaming('node3', 'async')] }),
      }),
      actions: ['update-lock', 'write-sync', 'set-synchronous-standby-names'],
      includes: [{ type: 'write-sync', leader: 'node1', standbys: [] }, { type: 'set-synchronous-standby-names', value: 'node3' }],
    },
    {
      name: 'maximum_lag_on_syncnode: a lone /sync standby lagging the primary’s own position too far is dropped',
      input: leaderInput({
        settings: { synchronousMode: true, maximumLagOnSyncnodeBytes: 1_048_576 },
        cluster: leaderSync(['node2']),
        local: primaryLocal({ walPosition: 60_000_000, synchronousStandbyNames: 'node2', replication: [streaming('node2', 'sync')] }),
      }),
      actions: ['update-lock', 'write-sync', 'set-synchronous-standby-names'],
      includes: [{ type: 'write-sync', leader: 'node1', standbys: [] }, { type: 'set-synchronous-standby-names', value: '' }],
    },
    {
      name: 'synchronous mode turned off with a /sync key left: deletes it and clears synchronous_standby_names',
      input: leaderInput({ cluster: leaderSync(['node2']), local: primaryLocal({ synchronousStandbyNames: 'node2' }) }),
      actions: ['update-lock', 'delete-sync', 'set-synchronous-standby-names'],
    },
  ]);
});

describe('decide: a background action is running (§7.1) and operator requests (§12)', () => {
  const running = (type: 'promote' | 'restart' | 'crash-recovery' | 'bootstrap' | 'start' | 'demote', name: string, startedAgoMs = 1_000) => ({ type, name, startedAtMs: NOW - startedAgoMs });
  it('renews the lock without /status while a demotion runs (Patroni: plain update_lock), the failsafe list still written', () => {
    const settings = { failsafeMode: true };
    const during = decide(leaderInput({ running: running('demote', 'switchover: demote', 50), settings }));
    expect(during.ruleId).toBe('long-action.lock-updated');
    const update = during.actions.find((action) => action.type === 'update-lock');
    expect(update).toBeDefined();
    expect(update).not.toHaveProperty('lastLsn');
    expect(update).not.toHaveProperty('slots');
    expect(update).toHaveProperty('failsafe');
    // The leader's ordinary renewal does write /status.
    const ordinary = decide(leaderInput({ settings })).actions.find((action) => action.type === 'update-lock');
    expect(ordinary).toMatchObject({ type: 'update-lock', lastLsn: 50_000_000 });
  });
  runCases([
    {
      name: 'replica with a basebackup running: "<action> in progress"',
      input: input({ running: running('bootstrap', "bootstrap from 'node1'") }),
      message: "bootstrap from 'node1' in progress",
      actions: [],
    },
    {
      name: 'lock holder with a restart running: keeps renewing the lock',
      input: leaderInput({ running: running('restart', 'restart'), local: primaryLocal({ running: false }) }),
      message: 'updated leader lock during restart',
      actions: ['update-lock'],
    },
    {
      name: 'lock holder in crash recovery longer than primary_start_timeout: demotes immediate',
      input: leaderInput({ running: running('crash-recovery', 'doing crash recovery in a single user mode', 400_000), local: primaryLocal({ running: false }) }),
      message: 'terminated crash recovery because of startup timeout',
      actions: ['update-lock', 'demote'],
    },
    {
      name: 'running primary lost the lock during a restart: demotes immediate-nolock',
      input: input({ name: 'node3', local: primaryLocal(), running: running('restart', 'restart') }),
      message: 'lost leader lock during restart',
      includes: [{ type: 'demote', mode: 'immediate-nolock' }],
    },
    {
      name: 'promote running but the lock is someone else’s: reports it (next cycle demotes)',
      input: input({ name: 'node3', running: running('promote', 'promote') }),
      message: 'lost leader before promote',
    },
    {
      name: 'paused, long action running: only reports progress',
      input: input({ name: 'node3', local: primaryLocal(), running: running('restart', 'restart'), settings: { paused: true } }),
      message: 'PAUSE: restart in progress',
      actions: [],
    },
    {
      name: 'restart request on a replica: restarts',
      input: input({ requests: { restart: { timeoutSeconds: 60 } } }),
      message: 'restart initiated',
      includes: [{ type: 'restart', timeoutSeconds: 60 }],
    },
    {
      name: 'restart request for role primary on a replica: conditions not satisfied',
      input: input({ requests: { restart: { role: 'primary' } } }),
      message: 'restart conditions are not satisfied',
      actions: [],
    },
    {
      name: 'restart request with restart_pending on a member without pending changes: not satisfied',
      input: input({ requests: { restart: { restartPending: true } } }),
      message: 'restart conditions are not satisfied',
    },
    {
      name: 'restart request for role master on the primary (3.x spelling): restarts',
      input: leaderInput({ requests: { restart: { role: 'master' } } }),
      includes: [{ type: 'restart' }],
    },
    {
      name: 'reinitialize request on a replica: re-clones from the leader',
      input: input({ requests: { reinitialize: { force: false, fromLeader: true } } }),
      message: 'reinitialize started',
      includes: [{ type: 'reinitialize', source: { name: 'node1', connUrl: 'postgres://10.0.0.1:5432/postgres' } }],
    },
    {
      name: 'reinitialize request without a leader: refused',
      input: input({ cluster: unlockedCluster(), requests: { reinitialize: { force: false, fromLeader: false } } }),
      // Unlocked: the race takes the cycle; the request is refused by the API layer. Here: no reinitialize action.
      excludes: ['reinitialize'],
    },
    {
      name: 'restart request while paused: allowed (explicit operator action)',
      input: input({ settings: { paused: true }, requests: { restart: {} } }),
      includes: [{ type: 'restart' }],
    },
  ]);
});
