import { describe } from 'vitest';
import { runCases } from './case-runner.js';
import { NOW, SYSID, cluster, input, member, memory, peer, primaryLocal, replicaLocal, unlockedCluster } from './fixtures.js';

const dead = peer('node1', { reachable: false });
/** Nobody holds the key; /failover names node1 → node2 (us); node1's release published it stopped. */
const handedOver = (overrides: Parameters<typeof unlockedCluster>[0] = {}) =>
  unlockedCluster({ members: [member('node1', { state: 'stopped', role: 'demoted' }), member('node2'), member('node3')], failover: { version: 3, leader: 'node1', candidate: 'node2' }, ...overrides });
const unlocked = unlockedCluster();

describe('decide: nobody holds the lock — the leader race (§8)', () => {
  runCases([
    {
      name: 'leader key gone, replica: first asks the other members for their status',
      input: input({ cluster: unlocked }),
      ruleId: 'race.ask-peers',
      awaiting: 'peers',
      includes: [{ type: 'fetch-peer-status', members: ['node1', 'node3'] }],
    },
    {
      name: 'leader key gone, we are ahead of every reachable peer: acquire then promote',
      input: input({ cluster: unlocked, peers: [dead, peer('node3', { walPosition: 49_000_000 })] }),
      ruleId: 'race.won.promote',
      message: 'promoted self to leader by acquiring session lock',
      actions: ['acquire-lock', 'promote'],
    },
    {
      name: 'leader key gone, a peer is ahead of us: follows, does not race',
      input: input({ cluster: unlocked, peers: [dead, peer('node3', { walPosition: 51_000_000 })] }),
      ruleId: 'race.not-healthiest',
      message: 'following a different leader because i am not the healthiest node',
      excludes: ['acquire-lock', 'promote'],
      reason: /node3 has a higher WAL position/,
    },
    {
      name: 'leader key gone, a peer says it is still primary: does not race',
      input: input({ cluster: unlocked, peers: [peer('node1', { isPrimary: true, role: 'primary' }), peer('node3')] }),
      reason: /Primary \(node1\) is still alive/,
      excludes: ['acquire-lock'],
    },
    {
      name: 'a member key still says primary and running (its API unreachable from here): no race',
      input: input({ cluster: unlockedCluster({ members: [member('node1'), member('node2'), member('node3')] }), peers: [dead, peer('node3')] }),
      reason: /Primary \(node1\) is still alive \(its member key says so\)/,
      excludes: ['acquire-lock'],
    },
    {
      name: 'a Patroni 3.x member key still says master and running (its API unreachable from here): no race',
      input: input({ cluster: unlockedCluster({ members: [member('node1', { role: 'master' }), member('node2'), member('node3')] }), peers: [dead, peer('node3')] }),
      reason: /Primary \(node1\) is still alive \(its member key says so\)/,
      excludes: ['acquire-lock'],
    },
    {
      name: 'equal WAL, the peer has a higher failover_priority: yields',
      input: input({ cluster: unlocked, peers: [dead, peer('node3', { tags: { failover_priority: 5 } })] }),
      reason: /equal WAL position and higher priority/,
      excludes: ['acquire-lock'],
    },
    {
      name: 'equal WAL, the peer has the same priority: both may race (the DCS picks one)',
      input: input({ cluster: unlocked, peers: [dead, peer('node3')] }),
      actions: ['acquire-lock', 'promote'],
    },
    {
      name: 'peer ahead but tagged nofailover: ignored',
      input: input({ cluster: unlocked, peers: [dead, peer('node3', { walPosition: 60_000_000, tags: { nofailover: true } })] }),
      actions: ['acquire-lock', 'promote'],
    },
    {
      name: 'peer ahead but its watchdog failed: ignored',
      input: input({ cluster: unlocked, peers: [dead, peer('node3', { walPosition: 60_000_000, watchdogFailed: true })] }),
      actions: ['acquire-lock', 'promote'],
    },
    {
      name: 'all peers unreachable: we race (unreachable members never disqualify)',
      input: input({ cluster: unlocked, peers: [dead, peer('node3', { reachable: false })] }),
      actions: ['acquire-lock', 'promote'],
    },
    {
      name: 'we lag beyond maximum_lag_on_failover: do not race',
      input: input({ cluster: unlockedCluster({ lastLsn: 60_000_000 }), peers: [dead, peer('node3', { reachable: false })] }),
      reason: /My wal position exceeds maximum replication lag \(10 MB > 1 MB\)/,
      excludes: ['acquire-lock'],
    },
    {
      name: 'we lag exactly maximum_lag_on_failover: still eligible',
      input: input({ cluster: unlockedCluster({ lastLsn: 50_000_000 + 1048576 }), peers: [dead] }),
      actions: ['acquire-lock', 'promote'],
    },
    {
      name: 'tagged nofailover: never races, says it is not allowed',
      input: input({ cluster: unlocked, tags: { nofailover: true } }),
      ruleId: 'race.not-allowed',
      message: 'following a different leader because I am not allowed to promote',
      excludes: ['acquire-lock', 'fetch-peer-status'],
    },
    {
      name: 'running primary without the lock, cluster unlocked: retakes the lock without asking peers',
      input: input({ name: 'node1', cluster: unlocked, local: primaryLocal() }),
      ruleId: 'race.won.primary',
      message: 'acquired session lock as a leader',
      actions: ['acquire-lock'],
    },
    {
      name: 'running primary on an older timeline than the cluster: does not retake the lock, demotes',
      input: input({ name: 'node1', cluster: unlockedCluster({ history: { version: 2, lines: [[1, 100, 'x'], [2, 200, 'y']] } }), local: primaryLocal({ timeline: 1 }) }),
      message: 'demoting self because i am not the healthiest node',
      actions: ['demote'],
      reason: /timeline 1 is behind the cluster timeline 3/,
    },
    {
      name: 'pre_promote failed less than ttl ago: backs off',
      input: input({ cluster: unlocked, memory: memory({ prePromoteFailedAtMs: NOW - 5_000 }) }),
      reason: /pre_promote failed/,
      excludes: ['acquire-lock'],
    },
    {
      name: 'pre_promote failed more than ttl ago: races again',
      input: input({ cluster: unlocked, peers: [dead], memory: memory({ prePromoteFailedAtMs: NOW - 60_000 }) }),
      actions: ['acquire-lock', 'promote'],
    },
    {
      name: 'won the race with a /failover key present: clears it after the promotion (one request less before writes resume)',
      input: input({ cluster: unlockedCluster({ failover: { version: 3, leader: 'node1', candidate: 'node2' } }), peers: [dead, peer('node3')] }),
      actions: ['acquire-lock', 'promote', 'clear-failover'],
    },
    {
      name: 'won the race: the clear names the version it saw, so a request written during the promotion stays',
      input: input({ cluster: unlockedCluster({ failover: { version: 3, leader: 'node1', candidate: 'node2' } }), peers: [dead, peer('node3')] }),
      includes: [{ type: 'clear-failover', version: 3 }],
    },
    {
      name: 'manual failover (no leader named) to us: races without the lag check (operator accepted the loss)',
      input: input({ cluster: unlockedCluster({ failover: { version: 3, candidate: 'node2' }, lastLsn: 90_000_000 }), peers: [dead, peer('node3')] }),
      actions: ['acquire-lock', 'promote', 'clear-failover'],
    },
    {
      name: 'switchover candidate is us but we lag beyond the limit (the leader vanished): no promotion',
      input: input({ cluster: unlockedCluster({ failover: { version: 3, leader: 'node1', candidate: 'node2' }, lastLsn: 90_000_000 }), peers: [dead, peer('node3')] }),
      reason: /switchover candidate lags/,
      excludes: ['acquire-lock'],
    },
    {
      name: 'pending switchover without candidate after the leader vanished: the lag check still applies',
      input: input({ cluster: unlockedCluster({ failover: { version: 3, leader: 'node1' }, lastLsn: 90_000_000 }), peers: [dead, peer('node3', { walPosition: 1 })] }),
      reason: /exceeds maximum replication lag/,
      excludes: ['acquire-lock'],
    },
    {
      name: 'switchover candidate is us but the old primary still runs (failsafe/pause): no promotion beside it',
      input: input({ cluster: unlockedCluster({ failover: { version: 3, leader: 'node1', candidate: 'node2' } }), peers: [peer('node1', { isPrimary: true, role: 'primary' }), peer('node3')] }),
      reason: /Primary \(node1\) is still alive/,
      excludes: ['acquire-lock'],
    },
    {
      name: 'switchover to us, the former leader released with its member key saying stopped: promotes without asking the peers',
      input: input({ cluster: handedOver() }),
      ruleId: 'race.won.promote',
      actions: ['acquire-lock', 'promote', 'clear-failover'],
      reason: /candidate of the manual switchover/,
    },
    {
      name: 'switchover handed over, but another member key says it runs as primary: no promotion',
      input: input({ cluster: handedOver({ members: [member('node1', { state: 'stopped', role: 'demoted' }), member('node2'), member('node3', { role: 'primary' })] }) }),
      reason: /Primary \(node3\) is still alive/,
      excludes: ['acquire-lock'],
    },
    ...[
      { why: 'the former leader key still says primary', cluster: handedOver({ members: [member('node1', { state: 'stopped', role: 'primary' }), member('node2'), member('node3')] }), settings: {} },
      { why: 'the former leader key says running', cluster: handedOver({ members: [member('node1', { state: 'running', role: 'replica' }), member('node2'), member('node3')] }), settings: {} },
      { why: 'the former leader has no member key', cluster: handedOver({ members: [member('node2'), member('node3')] }), settings: {} },
      { why: 'a manual failover (no leader named)', cluster: handedOver({ failover: { version: 3, candidate: 'node2' } }), settings: {} },
      { why: 'paused', cluster: handedOver(), settings: { paused: true } },
      { why: 'quorum mode', cluster: handedOver({ sync: { version: 5, leader: 'node1', syncStandbys: ['node2', 'node3'], quorum: 1 } }), settings: { synchronousMode: 'quorum' as const } },
      { why: 'failsafe mode with a /failsafe list', cluster: handedOver({ failsafe: { node1: 'a', node2: 'b', node3: 'c' } }), settings: { failsafeMode: true } },
    ].map(({ why, cluster: snapshot, settings }) => ({
      name: `switchover to us, ${why}: asks the peers first`,
      input: input({ cluster: snapshot, settings }),
      ruleId: 'race.ask-peers',
      awaiting: 'peers' as const,
    })),
    {
      name: 'switchover candidate lags beyond the limit: others do not wait for it (no deadlock)',
      input: input({ cluster: unlockedCluster({ failover: { version: 3, leader: 'node1', candidate: 'node3' } }), peers: [dead, peer('node3', { walPosition: 1_000 })] }),
      actions: ['acquire-lock', 'promote', 'clear-failover'],
    },
    {
      name: 'sync mode, switchover without candidate, leader gone: an async member with higher priority does not block the /sync standby',
      input: input({
        cluster: unlockedCluster({ sync: { version: 5, leader: 'node1', syncStandbys: ['node2'] }, failover: { version: 3, leader: 'node1' } }),
        settings: { synchronousMode: true },
        peers: [dead, peer('node3', { tags: { failover_priority: 9 } })],
      }),
      includes: [{ type: 'acquire-lock' }, { type: 'promote' }],
    },
    {
      name: 'switchover candidate is another healthy member: we let it win',
      input: input({ cluster: unlockedCluster({ failover: { version: 3, leader: 'node1', candidate: 'node3' } }), peers: [dead, peer('node3')] }),
      reason: /the candidate node3 is healthy/,
      excludes: ['acquire-lock'],
    },
    {
      name: 'switchover to us but our required watchdog is unusable (its device refused ttl − safety_margin): we stand down instead of taking the key',
      input: input({ cluster: handedOver(), settings: { watchdogMode: 'required' }, watchdogUnusable: true }),
      ruleId: 'race.not-healthiest',
      reason: /Watchdog device is not usable/,
      excludes: ['acquire-lock', 'promote'],
    },
    {
      name: 'leader key gone, we are ahead but our required watchdog is unusable: no race',
      input: input({ cluster: unlocked, settings: { watchdogMode: 'required' }, watchdogUnusable: true, peers: [dead, peer('node3', { walPosition: 49_000_000 })] }),
      reason: /Watchdog device is not usable/,
      excludes: ['acquire-lock', 'promote'],
    },
    {
      name: 'watchdog automatic (an unusable device only warns): we race',
      input: input({ cluster: handedOver(), settings: { watchdogMode: 'automatic' }, watchdogUnusable: true }),
      actions: ['acquire-lock', 'watchdog', 'promote', 'clear-failover'],
    },
    {
      name: 'switchover candidate whose watchdog failed (its status says so): treated as no candidate, WAL comparison decides',
      input: input({ cluster: unlockedCluster({ failover: { version: 3, leader: 'node1', candidate: 'node3' } }), peers: [dead, peer('node3', { watchdogFailed: true })] }),
      actions: ['acquire-lock', 'promote', 'clear-failover'],
    },
    {
      name: 'switchover candidate unreachable: treated as no candidate, WAL comparison decides',
      input: input({ cluster: unlockedCluster({ failover: { version: 3, leader: 'node1', candidate: 'node3' } }), peers: [dead, peer('node3', { reachable: false })] }),
      actions: ['acquire-lock', 'promote', 'clear-failover'],
    },
    {
      name: 'former leader named in /failover is us and another member can take over: we do not',
      input: input({ name: 'node1', local: replicaLocal(), cluster: unlockedCluster({ failover: { version: 3, leader: 'node1' } }), peers: [peer('node2'), peer('node3')] }),
      reason: /another member can take over/,
      excludes: ['acquire-lock'],
    },
    {
      name: 'former leader named in /failover is us and nobody else can take over: we do',
      input: input({ name: 'node1', local: replicaLocal(), cluster: unlockedCluster({ failover: { version: 3, leader: 'node1', candidate: 'node3' } }), peers: [peer('node2', { reachable: false }), peer('node3', { reachable: false })] }),
      actions: ['acquire-lock', 'promote', 'clear-failover'],
    },
    {
      // A stale request: another leader wrote 5 MB since; Patroni would promote us and lose it.
      name: 'former leader named in /failover is us, nobody else can take over, but we lag beyond maximum_lag_on_failover: we do not',
      input: input({ name: 'node1', local: replicaLocal({ walPosition: 44_000_000 }), cluster: unlockedCluster({ failover: { version: 3, leader: 'node1', candidate: 'node3' } }), peers: [peer('node2', { reachable: false }), peer('node3', { reachable: false })] }),
      reason: /My wal position exceeds maximum replication lag/,
      excludes: ['acquire-lock', 'promote'],
    },
    {
      name: 'anti-flapping on: the last leader is healthy and has first claim after a DCS outage',
      input: input({
        cluster: unlocked,
        settings: { preferLastLeaderAfterDcsOutage: true },
        memory: memory({ lastLeaderClaim: { name: 'node1', untilMs: NOW + 20_000 } }),
        peers: [peer('node1', { walPosition: 50_000_000 }), peer('node3')],
      }),
      reason: /the last leader node1 is healthy and has first claim/,
      excludes: ['acquire-lock'],
    },
    {
      name: 'anti-flapping on, claim expired: normal race',
      input: input({ cluster: unlocked, settings: { preferLastLeaderAfterDcsOutage: true }, memory: memory({ lastLeaderClaim: { name: 'node1', untilMs: NOW - 1 } }), peers: [peer('node1'), peer('node3')] }),
      actions: ['acquire-lock', 'promote'],
    },
    {
      name: 'anti-flapping on, the last leader is us: priority ties do not stop us',
      input: input({
        cluster: unlocked,
        settings: { preferLastLeaderAfterDcsOutage: true },
        memory: memory({ lastLeaderClaim: { name: 'node2', untilMs: NOW + 20_000 } }),
        peers: [peer('node1', { reachable: false }), peer('node3', { tags: { failover_priority: 9 } })],
      }),
      actions: ['acquire-lock', 'promote'],
    },
    {
      name: 'anti-flapping off (Patroni default): a claim in memory is ignored',
      input: input({ cluster: unlocked, memory: memory({ lastLeaderClaim: { name: 'node1', untilMs: NOW + 20_000 } }), peers: [peer('node1'), peer('node3')] }),
      actions: ['acquire-lock', 'promote'],
    },
    {
      name: 'failsafe mode: /failsafe does not list us: we may not win',
      input: input({ cluster: unlockedCluster({ failsafe: { node1: 'a', node3: 'c' } }), settings: { failsafeMode: true }, peers: [dead] }),
      reason: /not listed in \/failsafe/,
      excludes: ['acquire-lock'],
    },
    {
      name: 'failsafe mode: a member missing from /failsafe and ahead of us does not block us',
      input: input({ cluster: unlockedCluster({ failsafe: { node1: 'a', node2: 'b' } }), settings: { failsafeMode: true }, peers: [dead, peer('node3', { walPosition: 60_000_000 })] }),
      actions: ['acquire-lock', 'promote'],
    },
    {
      name: 'check_timeline: our timeline behind the cluster timeline: we may not win',
      input: input({ cluster: unlockedCluster({ history: { version: 1, lines: [[1, 100, 'x']] } }), settings: { checkTimeline: true }, peers: [dead] }),
      reason: /timeline 1 is behind the cluster timeline 2/,
    },
    {
      name: 'check_timeline: a peer ahead by position but behind the cluster timeline does not block us (it may not win either)',
      input: input({ cluster: unlockedCluster({ history: { version: 1, lines: [[1, 100, 'x']] } }), local: replicaLocal({ timeline: 2 }), settings: { checkTimeline: true }, peers: [dead, peer('node3', { walPosition: 60_000_000, timeline: 1 })] }),
      actions: ['acquire-lock', 'promote'],
    },
    {
      name: 'check_timeline: a peer ahead on the cluster timeline still blocks us',
      input: input({ cluster: unlockedCluster({ history: { version: 1, lines: [[1, 100, 'x']] } }), local: replicaLocal({ timeline: 2 }), settings: { checkTimeline: true }, peers: [dead, peer('node3', { walPosition: 60_000_000, timeline: 2 })] }),
      reason: /node3 has a higher WAL position/,
      excludes: ['acquire-lock'],
    },
    {
      name: 'check_timeline off: a peer ahead by position blocks us whatever its timeline (Patroni)',
      input: input({ cluster: unlockedCluster({ history: { version: 1, lines: [[1, 100, 'x']] } }), local: replicaLocal({ timeline: 2 }), peers: [dead, peer('node3', { walPosition: 60_000_000, timeline: 1 })] }),
      reason: /node3 has a higher WAL position/,
      excludes: ['acquire-lock'],
    },
    {
      name: 'paused replica: no automatic promotion',
      input: input({ cluster: unlocked, settings: { paused: true } }),
      message: 'PAUSE: no action. I am (node2)',
      actions: [],
    },
    {
      name: 'paused running primary whose sysid matches initialize: may take a free lock',
      input: input({ name: 'node1', cluster: unlocked, local: primaryLocal(), settings: { paused: true } }),
      actions: ['acquire-lock'],
    },
    {
      name: 'paused running primary whose sysid differs: refused by the system ID check',
      input: input({ name: 'node1', cluster: unlockedCluster({ initialize: '1111111111111' }), local: primaryLocal(), settings: { paused: true } }),
      ruleId: 'sysid.mismatch-paused',
    },
    {
      name: 'paused: a /failover naming us as candidate lets us promote',
      input: input({ cluster: unlockedCluster({ failover: { version: 2, candidate: 'node2' } }), settings: { paused: true }, peers: [dead] }),
      includes: [{ type: 'acquire-lock' }, { type: 'promote' }],
    },
    {
      name: 'paused, won with a switchover naming leader and candidate: rewrites /failover to the candidate only',
      input: input({ cluster: unlockedCluster({ failover: { version: 4, leader: 'node1', candidate: 'node2' } }), settings: { paused: true }, peers: [dead] }),
      includes: [{ type: 'write-failover', value: { member: 'node2' }, version: 4 }],
    },
    {
      name: 'system ID differs from initialize (not paused): exits with code 1',
      input: input({ cluster: unlockedCluster({ initialize: '1111111111111' }) }),
      ruleId: 'sysid.mismatch',
      message: `system ID mismatch, node node2 belongs to a different cluster: 1111111111111 != ${SYSID}`,
      actions: ['exit'],
    },
    {
      name: 'invalid local system identifier: asks for reinitialize',
      input: input({ local: replicaLocal({ systemIdentifier: 'abc' }) }),
      message: 'data dir for the cluster is not empty, but system ID is invalid; consider doing reinitialize',
    },
    {
      name: 'first cycle, empty DCS, standalone primary: adopts the DCS by writing its sysid',
      input: input({ name: 'node1', cluster: { members: [], lastLsn: 0 }, local: primaryLocal(), memory: memory({ cycles: 0 }) }),
      ruleId: 'sysid.adopt-empty-dcs',
      includes: [{ type: 'write-initialize', createNew: true, sysid: SYSID }],
    },
    {
      name: 'first cycle, empty DCS, running replica: refuses to join (exit 1)',
      input: input({ cluster: { members: [], lastLsn: 0 }, memory: memory({ cycles: 0 }) }),
      ruleId: 'sysid.replica-without-initialize',
      actions: ['exit'],
    },
    {
      name: 'peer list includes members of the last snapshot with a leader (old_cluster)',
      input: input({ cluster: unlockedCluster({ members: [member('node2')] }), memory: memory({ lastSeenMembers: ['node1', 'node2', 'node3'] }) }),
      includes: [{ type: 'fetch-peer-status', members: ['node1', 'node3'] }],
    },
    {
      name: 'alone in the cluster: races without asking anyone',
      input: input({ cluster: unlockedCluster({ members: [member('node2')] }) }),
      actions: ['acquire-lock', 'promote'],
    },
    {
      name: 'lost the race (snapshot now shows another leader): follows it',
      input: input({ cluster: cluster({ leader: { name: 'node3', version: 11 } }), local: replicaLocal({ followingHost: '10.0.0.1:5432' }) }),
      ruleId: 'follow.leader.repoint',
      includes: [{ type: 'follow', target: { name: 'node3', connUrl: 'postgres://10.0.0.3:5432/postgres' } }],
    },
  ]);
});
