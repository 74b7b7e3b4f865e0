import { describe } from 'vitest';
import { runCases } from './case-runner.js';
import { NOW, cluster, input, member, memory, peer, primaryLocal, replicaLocal, settings } from './fixtures.js';

/** The leader promoted from timeline 1 straight to 3 (2 was taken), from the same fork point as 2. */
const tlSkipped = cluster({ history: { version: 2, lines: [[1, 40_000_000, 'no recovery target specified']] }, members: [member('node1', { timeline: 3 }), member('node2'), member('node3')] });
const tl2 = cluster({ history: { version: 2, lines: [[1, 40_000_000, 'no recovery target specified']] }, members: [member('node1', { timeline: 2 }), member('node2'), member('node3')] });

describe('decide: following the leader (§9.4) and rejoining after divergence (§6.2)', () => {
  runCases([
    {
      name: 'replica following the leader: no action',
      input: input(),
      ruleId: 'follow.leader',
      message: 'no action. I am (node2), a secondary, and following a leader (node1)',
      actions: [],
      diverged: false,
    },
    {
      name: 'replica pointed at the wrong host: re-points primary_conninfo at the leader',
      input: input({ local: replicaLocal({ followingHost: '10.0.0.3:5432' }) }),
      ruleId: 'follow.leader.repoint',
      includes: [{ type: 'follow', target: { name: 'node1', connUrl: 'postgres://10.0.0.1:5432/postgres' } }],
    },
    {
      name: 'running primary without the lock while another member holds it: demotes immediate-nolock',
      input: input({ name: 'node3', local: primaryLocal() }),
      ruleId: 'follow.leader.demote',
      message: 'demoting self because I do not have the lock and I was a leader',
      includes: [{ type: 'demote', mode: 'immediate-nolock', follow: { name: 'node1', connUrl: 'postgres://10.0.0.1:5432/postgres' } }],
      memory: { demotedFromPrimary: true, demotedFromTimeline: 1, isLeader: false },
    },
    {
      name: 'replicatefrom tag: follows the named member, not the leader',
      input: input({ tags: { replicatefrom: 'node3' }, local: replicaLocal({ followingHost: '10.0.0.3:5432' }) }),
      actions: [],
    },
    {
      name: 'replicatefrom names a missing member: falls back to the leader (Patroni get_member)',
      input: input({ tags: { replicatefrom: 'node9' }, local: replicaLocal({ followingHost: '10.0.0.3:5432' }) }),
      includes: [{ type: 'follow', target: { name: 'node1', connUrl: 'postgres://10.0.0.1:5432/postgres' } }],
    },
    {
      name: 'nostream tag: follows nobody (archive only)',
      input: input({ tags: { nostream: true } }),
      actions: ['follow'],
    },
    {
      name: 'paused running primary without the lock: keeps running',
      input: input({ name: 'node3', local: primaryLocal(), settings: { paused: true } }),
      message: 'PAUSE: continue to run as primary without lock',
      actions: [],
    },
    {
      name: 'standby cluster replica (not the lock owner): follows the standby leader',
      input: input({ settings: { standbyCluster: { host: 'remote' } } }),
      message: 'no action. I am (node2), a secondary, and following a standby leader (node1)',
    },
    {
      name: 'former primary on an old timeline, past the fork point: rewinds from the leader',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 1, walPosition: 45_000_000, followingHost: '10.0.0.1:5432' }), memory: memory({ demotedFromPrimary: true }) }),
      ruleId: 'follow.rewind',
      message: 'running pg_rewind from node1',
      actions: ['rewind'],
      diverged: false,
    },
    {
      name: 'replica on the old timeline that never passed the fork point: just follows',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 1, walPosition: 39_000_000 }) }),
      ruleId: 'follow.leader',
    },
    {
      name: 'diverged and pg_rewind unusable, reinit on divergence allowed: reinitializes',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 1, walPosition: 45_000_000, rewindable: false }), settings: { removeDataDirectoryOnDivergedTimelines: true } }),
      message: 'reinitializing due to diverged timelines',
      actions: ['reinitialize'],
    },
    {
      name: 'diverged, pg_rewind unusable, reinit not allowed: stays put and says why',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 1, walPosition: 45_000_000, rewindable: false }) }),
      ruleId: 'follow.diverged-stuck',
      actions: [],
      diverged: true,
      memory: { divergedStuck: true },
    },
    {
      name: 'marked diverged earlier, the DCS unreachable now: still marked (the replica checks keep failing)',
      input: input({ name: 'node3', cluster: { ok: false, message: 'etcd unreachable' }, local: replicaLocal({ timeline: 1, walPosition: 45_000_000 }), memory: memory({ divergedStuck: true }) }),
      diverged: true,
    },
    {
      name: 'marked diverged earlier, paused now: still marked',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 1, walPosition: 45_000_000 }), memory: memory({ divergedStuck: true }), settings: { paused: true } }),
      ruleId: 'follow.paused-diverged',
      diverged: true,
    },
    {
      name: 'paused, diverged while pg_rewind would repair it: nothing repairs it in pause, so marked (the replica checks fail), no action',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 1, walPosition: 45_000_000, followingHost: '10.0.0.1:5432' }), memory: memory({ demotedFromPrimary: true }), settings: { paused: true } }),
      ruleId: 'follow.paused-diverged',
      message: 'PAUSE: no action. I am (node3), a secondary, and following a leader (node1)',
      actions: [],
      diverged: true,
      memory: { divergedStuck: true },
    },
    {
      name: 'paused, on the old timeline but not past the fork point: not marked',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 1, walPosition: 39_000_000 }), settings: { paused: true } }),
      ruleId: 'follow.paused',
      actions: [],
      diverged: false,
    },
    {
      name: 'paused, /history has no line for our timeline: asks the leader for its history (a read), as unpaused',
      input: input({ name: 'node3', cluster: tlSkipped, local: replicaLocal({ timeline: 2, walPosition: 45_000_000 }), settings: { paused: true } }),
      ruleId: 'follow.ask-leader-history',
      actions: ['fetch-leader-history'],
    },
    {
      name: 'marked diverged in pause, resumed: pg_rewind repairs it',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 1, walPosition: 45_000_000, followingHost: '10.0.0.1:5432' }), memory: memory({ demotedFromPrimary: true, divergedStuck: true }) }),
      ruleId: 'follow.rewind',
      actions: ['rewind'],
    },
    {
      name: 'marked diverged earlier, now streaming from the leader on its timeline: the mark is dropped',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 2, replicationState: 'streaming' }), memory: memory({ divergedStuck: true }) }),
      diverged: false,
      memory: { divergedStuck: undefined },
    },
    {
      name: 'marked diverged earlier, a rewind succeeded: the mark is dropped',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 2 }), memory: memory({ divergedStuck: true, rewind: 'running' }), lastActionResult: { type: 'rewind', ok: true } }),
      diverged: false,
    },
    {
      name: 'use_pg_rewind off: falls back to reinit when allowed',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 1, walPosition: 45_000_000 }), settings: { usePgRewind: false, removeDataDirectoryOnDivergedTimelines: true } }),
      actions: ['reinitialize'],
    },
    {
      name: 'pg_rewind failed before, reinit on rewind failure allowed: reinitializes',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 1, walPosition: 45_000_000 }), lastActionResult: { type: 'rewind', ok: false }, settings: { removeDataDirectoryOnRewindFailure: true } }),
      actions: ['reinitialize'],
    },
    {
      name: 'ahead of the leader on a higher timeline (we promoted and lost): rewinds',
      input: input({ name: 'node3', local: replicaLocal({ timeline: 3 }), memory: memory({ demotedFromPrimary: true }) }),
      actions: ['rewind'],
    },
    {
      name: 'replica on a timeline above the one the leader publishes, never primary there: asks the leader which timeline it runs on',
      input: input({ name: 'node3', local: replicaLocal({ timeline: 3 }) }),
      ruleId: 'follow.ask-leader-history',
      actions: ['fetch-leader-history'],
    },
    {
      name: 'the leader runs on that timeline (its key has not caught up with its promotion): just follows',
      input: input({ name: 'node3', local: replicaLocal({ timeline: 3 }), leaderHistory: { leader: 'node1', forTimeline: 1, ok: true, timeline: 3, lines: [[1, 40_000_000], [2, 41_000_000]] } }),
      ruleId: 'follow.leader',
      diverged: false,
      memory: { leaderHistory: { leader: 'node1', forTimeline: 1, localTimeline: 3, timeline: 3, lines: [[1, 40_000_000], [2, 41_000_000]] } },
    },
    {
      name: 'the same answer kept: not asked again',
      input: input({ name: 'node3', local: replicaLocal({ timeline: 3 }), memory: memory({ leaderHistory: { leader: 'node1', forTimeline: 1, localTimeline: 3, timeline: 3, lines: [[1, 40_000_000], [2, 41_000_000]] } }) }),
      ruleId: 'follow.leader',
      actions: [],
    },
    {
      name: 'the leader runs on a lower timeline: ours is a branch it never had (PostgreSQL cannot follow it), so pg_rewind',
      input: input({ name: 'node3', local: replicaLocal({ timeline: 3, walPosition: 45_000_000 }), leaderHistory: { leader: 'node1', forTimeline: 1, ok: true, timeline: 1, lines: [] } }),
      ruleId: 'follow.rewind',
      reason: /the leader runs on timeline 1, and ours is not in its history/,
      actions: ['rewind'],
    },
    {
      name: 'the same with pg_rewind unusable and no re-clone allowed: marked diverged',
      input: input({ name: 'node3', local: replicaLocal({ timeline: 3, rewindable: false }), leaderHistory: { leader: 'node1', forTimeline: 1, ok: true, timeline: 1, lines: [] } }),
      ruleId: 'follow.diverged-stuck',
      diverged: true,
    },
    {
      name: 'an answer from when we were on another timeline does not count: asks again',
      input: input({ name: 'node3', local: replicaLocal({ timeline: 3 }), memory: memory({ leaderHistory: { leader: 'node1', forTimeline: 1, localTimeline: 2, timeline: 2, lines: [[1, 40_000_000]] } }) }),
      ruleId: 'follow.ask-leader-history',
    },
    {
      name: 'the leader could not be asked: follows, as before it asked',
      input: input({ name: 'node3', local: replicaLocal({ timeline: 3 }), leaderHistory: { leader: 'node1', forTimeline: 1, ok: false, message: 'connection refused' } }),
      ruleId: 'follow.leader',
      diverged: false,
    },
    {
      name: 'rewound successfully from this leader: does not rewind again while it stays leader',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 1, walPosition: 45_000_000 }), memory: memory({ demotedFromPrimary: true, rewind: 'done', lastSeenLeader: 'node1' }) }),
      excludes: ['rewind'],
    },
    {
      name: 'pg_rewind failed against this leader: stays put and says so',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 1, walPosition: 45_000_000 }), memory: memory({ demotedFromPrimary: true, rewind: 'failed', lastSeenLeader: 'node1' }) }),
      ruleId: 'follow.diverged-stuck',
      message: 'pg_rewind failed; not following a diverged timeline',
    },
    {
      name: 'pg_rewind failed against an earlier leader (it died mid-rewind): tries again from the new one',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 1, walPosition: 45_000_000 }), memory: memory({ demotedFromPrimary: true, rewind: 'failed', lastSeenLeader: 'node4' }) }),
      ruleId: 'follow.rewind',
      actions: ['rewind'],
    },
    {
      name: 'former primary on the same timeline number but ahead of the leader: pg_rewind cannot tell the histories apart, so it stays put and says why',
      input: input({ name: 'node3', cluster: cluster({ lastLsn: 40_000_000, members: [member('node1', { xlog_location: 40_000_000 }), member('node3')] }), local: replicaLocal({ walPosition: 45_000_000 }), memory: memory({ demotedFromPrimary: true }) }),
      ruleId: 'follow.diverged-stuck',
      message: /^timeline 1 was used by two primaries and pg_rewind cannot tell them apart/,
      actions: [],
    },
    {
      name: 'the same with remove_data_directory_on_diverged_timelines: still stays put (a judgement a leader mid-promotion can make wrong for a cycle wipes nothing)',
      input: input({
        name: 'node3',
        cluster: cluster({ lastLsn: 40_000_000, members: [member('node1', { xlog_location: 40_000_000 }), member('node3')] }),
        local: replicaLocal({ walPosition: 45_000_000 }),
        memory: memory({ demotedFromPrimary: true }),
        settings: { removeDataDirectoryOnDivergedTimelines: true },
      }),
      ruleId: 'follow.diverged-stuck',
      actions: [],
    },
    {
      name: 'former primary that streams from the leader on its timeline has rejoined: a WAL position past the published one (a switchover shutdown checkpoint) is no divergence',
      input: input({ name: 'node3', cluster: cluster({ lastLsn: 40_000_000, members: [member('node1', { xlog_location: 40_000_000 }), member('node3')] }), local: replicaLocal({ walPosition: 45_000_000, replicationState: 'streaming' }), memory: memory({ demotedFromPrimary: true }) }),
      ruleId: 'follow.leader',
      actions: [],
      memory: { demotedFromPrimary: false },
    },
    {
      name: 'demoted two switchovers ago (primary on timeline 1), now a replica on the leader\'s timeline 3 past its published position (the leader\'s shutdown checkpoint mid-switchover): no divergence',
      input: input({ name: 'node3', cluster: cluster({ lastLsn: 40_000_000, members: [member('node1', { timeline: 3, xlog_location: 40_000_000 }), member('node3')] }), local: replicaLocal({ timeline: 3, walPosition: 45_000_000 }), memory: memory({ demotedFromPrimary: true, demotedFromTimeline: 1 }) }),
      excludes: ['rewind', 'reinitialize'],
    },
    {
      name: 'primary on timeline 3 itself, ahead of the leader on timeline 3: diverged (no rewind: same timeline)',
      input: input({ name: 'node3', cluster: cluster({ lastLsn: 40_000_000, members: [member('node1', { timeline: 3, xlog_location: 40_000_000 }), member('node3')] }), local: replicaLocal({ timeline: 3, walPosition: 45_000_000 }), memory: memory({ demotedFromPrimary: true, demotedFromTimeline: 3 }) }),
      ruleId: 'follow.diverged-stuck',
      reason: /we were primary and are ahead of the leader on the same timeline/,
    },
    {
      name: 'cleanly demoted primary while the new leader is still promoting (its key says promoted, old timeline, no /history line yet): not judged, no rewind',
      input: input({ name: 'node3', cluster: cluster({ lastLsn: 40_000_000, members: [member('node1', { role: 'promoted', xlog_location: 40_000_000 }), member('node3')] }), local: replicaLocal({ walPosition: 45_000_000 }), memory: memory({ demotedFromPrimary: true }) }),
      excludes: ['rewind', 'reinitialize'],
    },
    {
      name: 'former primary past the fork point of a leader that published replica (Patroni mid-promotion): not judged yet',
      input: input({ name: 'node3', cluster: cluster({ history: tl2.history, members: [member('node1', { role: 'replica', timeline: 2 }), member('node3')] }), local: replicaLocal({ timeline: 1, walPosition: 45_000_000 }), memory: memory({ demotedFromPrimary: true }) }),
      excludes: ['rewind', 'reinitialize'],
    },
    {
      name: 'the same once the leader publishes master (Patroni 3.x word): rewinds',
      input: input({ name: 'node3', cluster: cluster({ history: tl2.history, members: [member('node1', { role: 'master', timeline: 2 }), member('node3')] }), local: replicaLocal({ timeline: 1, walPosition: 45_000_000 }), memory: memory({ demotedFromPrimary: true }) }),
      ruleId: 'follow.rewind',
    },
    {
      name: 'crashed primary restarted as a standby earlier (memory keeps it), the leader promoted from the same fork to a later timeline (/history has no line for ours): rewinds',
      input: input({ name: 'node3', cluster: tlSkipped, local: replicaLocal({ timeline: 2, walPosition: 45_000_000 }), memory: memory({ primaryOnTimeline: 2 }) }),
      ruleId: 'follow.rewind',
      actions: ['rewind'],
    },
    {
      name: 'the same without that memory (the agent restarted since): /history cannot say whether timeline 2 is the leader\'s ancestor, so it asks the leader for its history',
      input: input({ name: 'node3', cluster: tlSkipped, local: replicaLocal({ timeline: 2, walPosition: 45_000_000 }) }),
      ruleId: 'follow.ask-leader-history',
      actions: ['fetch-leader-history'],
      includes: [{ type: 'fetch-leader-history', forTimeline: 3, source: { name: 'node1', connUrl: 'postgres://10.0.0.1:5432/postgres' } }],
      awaiting: 'leader-history',
    },
    {
      name: 'the leader\'s history goes 1 → 3 (timeline 2 is a branch it never had): rewinds, and keeps the answer',
      input: input({ name: 'node3', cluster: tlSkipped, local: replicaLocal({ timeline: 2, walPosition: 45_000_000 }), leaderHistory: { leader: 'node1', forTimeline: 3, ok: true, timeline: 3, lines: [[1, 40_000_000]] } }),
      ruleId: 'follow.rewind',
      actions: ['rewind'],
      reason: /timeline 2 is not in the leader's history/,
      memory: { leaderHistory: { leader: 'node1', forTimeline: 3, lines: [[1, 40_000_000]] } },
    },
    {
      name: 'the leader\'s history switched off timeline 2 after our position (/history lagged): follows',
      input: input({ name: 'node3', cluster: tlSkipped, local: replicaLocal({ timeline: 2, walPosition: 45_000_000 }), leaderHistory: { leader: 'node1', forTimeline: 3, ok: true, timeline: 3, lines: [[1, 40_000_000], [2, 48_000_000]] } }),
      ruleId: 'follow.leader',
      actions: [],
    },
    {
      name: 'the same answer remembered from an earlier cycle: follows without asking again',
      input: input({ name: 'node3', cluster: tlSkipped, local: replicaLocal({ timeline: 2, walPosition: 45_000_000 }), memory: memory({ leaderHistory: { leader: 'node1', forTimeline: 3, lines: [[1, 40_000_000], [2, 48_000_000]] } }) }),
      ruleId: 'follow.leader',
      actions: [],
    },
    {
      name: 'the leader\'s history switched off timeline 2 before our position: rewinds',
      input: input({ name: 'node3', cluster: tlSkipped, local: replicaLocal({ timeline: 2, walPosition: 45_000_000 }), leaderHistory: { leader: 'node1', forTimeline: 3, ok: true, timeline: 3, lines: [[1, 40_000_000], [2, 44_000_000]] } }),
      ruleId: 'follow.rewind',
      reason: /went past its fork point .* in the leader's history/,
    },
    {
      name: 'the same with re-cloning the only repair allowed: re-clones',
      input: input({ name: 'node3', cluster: tlSkipped, settings: { usePgRewind: false, removeDataDirectoryOnDivergedTimelines: true }, local: replicaLocal({ timeline: 2, walPosition: 45_000_000 }), leaderHistory: { leader: 'node1', forTimeline: 3, ok: true, timeline: 3, lines: [[1, 40_000_000]] } }),
      ruleId: 'follow.reinitialize',
      actions: ['reinitialize'],
    },
    {
      name: 'the leader could not be asked: follows as before and notes when',
      input: input({ name: 'node3', cluster: tlSkipped, local: replicaLocal({ timeline: 2, walPosition: 45_000_000 }), leaderHistory: { leader: 'node1', forTimeline: 3, ok: false, message: 'connection refused' } }),
      ruleId: 'follow.leader',
      actions: [],
      memory: { leaderHistory: { leader: 'node1', forTimeline: 3, failedAtMs: NOW } },
    },
    {
      name: 'a failed ask is not repeated within a ttl',
      input: input({ name: 'node3', cluster: tlSkipped, local: replicaLocal({ timeline: 2, walPosition: 45_000_000 }), memory: memory({ leaderHistory: { leader: 'node1', forTimeline: 3, failedAtMs: NOW - 29_000 } }) }),
      ruleId: 'follow.leader',
      actions: [],
    },
    {
      name: 'and is repeated once a ttl has passed',
      input: input({ name: 'node3', cluster: tlSkipped, local: replicaLocal({ timeline: 2, walPosition: 45_000_000 }), memory: memory({ leaderHistory: { leader: 'node1', forTimeline: 3, failedAtMs: NOW - 30_000 } }) }),
      ruleId: 'follow.ask-leader-history',
    },
    {
      name: 'an answer about an earlier leader timeline does not count: asks again',
      input: input({ name: 'node3', cluster: tlSkipped, local: replicaLocal({ timeline: 2, walPosition: 45_000_000 }), memory: memory({ leaderHistory: { leader: 'node1', forTimeline: 2, lines: [[1, 40_000_000]] } }) }),
      ruleId: 'follow.ask-leader-history',
    },
    {
      name: 'a leader without a connection URL cannot be asked: follows',
      input: input({ name: 'node3', cluster: { ...tlSkipped, members: [member('node1', { timeline: 3, conn_url: undefined }), member('node3')] }, local: replicaLocal({ timeline: 2, walPosition: 45_000_000 }) }),
      excludes: ['fetch-leader-history', 'rewind'],
    },
    {
      name: 'a replica on timeline 1, which /history lists: judged from /history, nobody asked',
      input: input({ name: 'node3', cluster: tlSkipped, local: replicaLocal({ timeline: 1, walPosition: 39_000_000 }) }),
      ruleId: 'follow.leader',
      actions: [],
    },
    {
      name: 'stopped, on a timeline /history does not list: asked before starting',
      input: input({ name: 'node3', cluster: tlSkipped, local: replicaLocal({ running: false, accepting: false, timeline: 2, walPosition: undefined, checkpointLsn: 45_000_000, controlState: 'shut down in recovery' }) }),
      ruleId: 'recover.ask-leader-history',
      awaiting: 'leader-history',
    },
    {
      name: 'stopped, the leader\'s history does not have timeline 2: rewinds instead of starting',
      input: input({ name: 'node3', cluster: tlSkipped, local: replicaLocal({ running: false, accepting: false, timeline: 2, walPosition: undefined, checkpointLsn: 45_000_000, controlState: 'shut down in recovery' }), leaderHistory: { leader: 'node1', forTimeline: 3, ok: true, timeline: 3, lines: [[1, 40_000_000]] } }),
      ruleId: 'recover.rewind',
    },
    {
      name: 'primary on timeline 2 by memory, pg_rewind failed against this leader: stays put, marked diverged',
      input: input({ name: 'node3', cluster: tlSkipped, local: replicaLocal({ timeline: 2, walPosition: 45_000_000 }), memory: memory({ primaryOnTimeline: 2, rewind: 'failed', lastSeenLeader: 'node1' }) }),
      ruleId: 'follow.diverged-stuck',
      diverged: true,
    },
    {
      name: 'streaming from the leader on its timeline: the memory of having been primary is dropped',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 2, replicationState: 'streaming' }), memory: memory({ primaryOnTimeline: 1 }) }),
      ruleId: 'follow.leader',
      memory: { primaryOnTimeline: undefined },
    },
    {
      name: 'former primary streaming on an older timeline than the leader: still judged by the fork point, and keeps its mark',
      input: input({ name: 'node3', cluster: tl2, local: replicaLocal({ timeline: 1, walPosition: 45_000_000, replicationState: 'streaming' }), memory: memory({ demotedFromPrimary: true }) }),
      ruleId: 'follow.rewind',
      memory: { demotedFromPrimary: true },
    },
  ]);
});

describe('decide: PostgreSQL is not running (§6, §4 step 11)', () => {
  runCases([
    {
      name: 'crashed replica: starts as a secondary following the leader',
      input: input({ local: replicaLocal({ running: false, accepting: false, controlState: 'in archive recovery' }) }),
      ruleId: 'recover.start-replica',
      message: 'starting as a secondary',
      includes: [{ type: 'start', asPrimary: false, follow: { name: 'node1', connUrl: 'postgres://10.0.0.1:5432/postgres' } }],
      memory: { recovering: true },
    },
    {
      name: 'crashed primary that still holds the lock: renews it and restarts as primary',
      input: input({ name: 'node1', local: primaryLocal({ running: false, accepting: false }) }),
      ruleId: 'recover.start-primary',
      message: 'starting primary after failure',
      actions: ['update-lock', 'start'],
      includes: [{ type: 'start', asPrimary: true, timeoutSeconds: 300 }],
    },
    {
      name: 'crashed primary with the lock and a watchdog: arms the watchdog before starting as primary',
      input: input({ name: 'node1', local: primaryLocal({ running: false }), settings: { watchdogMode: 'automatic' } }),
      actions: ['update-lock', 'watchdog', 'start'],
      includes: [{ type: 'watchdog', op: 'activate' }],
    },
    {
      name: 'lock holder with replica data and PostgreSQL stopped: starts read-only (promotes next cycle)',
      input: input({ name: 'node1', local: replicaLocal({ running: false, controlState: 'shut down in recovery' }) }),
      message: 'starting as readonly because i had the session lock',
      actions: ['update-lock', 'start'],
    },
    {
      name: 'crashed primary with the lock, primary_start_timeout 0, a replica can take over: releases the lock',
      input: input({ name: 'node1', local: primaryLocal({ running: false }), settings: { primaryStartTimeoutSeconds: 0 }, peers: [peer('node2'), peer('node3')] }),
      message: 'stopped PostgreSQL to fail over after a crash',
      actions: ['update-lock', 'release-lock'],
    },
    {
      name: 'crashed primary with the lock, primary_start_timeout 0: asks peers first',
      input: input({ name: 'node1', local: primaryLocal({ running: false }), settings: { primaryStartTimeoutSeconds: 0 } }),
      awaiting: 'peers',
    },
    {
      name: 'former primary crashed without the lock, unclean: crash recovery first',
      input: input({ name: 'node3', local: primaryLocal({ running: false, controlState: 'in production' }) }),
      ruleId: 'recover.crash-recovery',
      message: 'doing crash recovery in a single user mode',
      actions: ['crash-recovery'],
      memory: { crashRecoveryStartedAtMs: NOW },
    },
    {
      name: 'primary that stopped or crashed, not diverged: starts as a standby and remembers it ran as a primary on its timeline',
      input: input({ name: 'node3', local: primaryLocal({ running: false, accepting: false, controlState: 'shut down', walPosition: 30_000_000 }) }),
      ruleId: 'recover.start-replica',
      memory: { primaryOnTimeline: 1 },
    },
    {
      name: 'replica stopped in recovery: nothing to remember',
      input: input({ local: replicaLocal({ running: false, accepting: false, controlState: 'shut down in recovery' }) }),
      ruleId: 'recover.start-replica',
      memory: { primaryOnTimeline: undefined },
    },
    {
      name: 'former primary after crash recovery, diverged from the new leader: rewinds',
      input: input({ name: 'node3', cluster: tl2, local: primaryLocal({ running: false, controlState: 'shut down', walPosition: 45_000_000 }), memory: memory({ crashRecoveryStartedAtMs: NOW - 5_000 }) }),
      ruleId: 'recover.rewind',
      actions: ['rewind'],
    },
    {
      name: 'former primary stopped after a demotion, diverged, pg_rewind unusable: stays stopped, marked diverged',
      input: input({ name: 'node3', cluster: tl2, local: primaryLocal({ running: false, controlState: 'shut down', walPosition: 45_000_000, rewindable: false }), memory: memory({ demotedFromPrimary: true }) }),
      ruleId: 'recover.diverged-stuck',
      actions: [],
      diverged: true,
    },
    {
      name: 'start failed last cycle (still not running): reports it',
      input: input({ local: replicaLocal({ running: false }), memory: memory({ recovering: true }) }),
      message: 'failed to start postgres',
      memory: { recovering: false },
    },
    {
      name: 'start failed last cycle while holding the lock: removes the leader key',
      input: input({ name: 'node1', local: primaryLocal({ running: false }), memory: memory({ recovering: true }) }),
      message: 'removed leader key after trying and failing to start postgres',
      actions: ['release-lock'],
    },
    {
      name: 'paused, PostgreSQL stopped: does not start it',
      input: input({ local: replicaLocal({ running: false }), settings: { paused: true } }),
      message: 'PAUSE: postgres is not running',
      actions: [],
    },
    {
      name: 'paused, lock owner with PostgreSQL stopped: removes the leader lock only',
      input: input({ name: 'node1', local: primaryLocal({ running: false }), settings: { paused: true } }),
      message: 'PAUSE: removed leader lock because postgres is not running',
      actions: ['release-lock'],
    },
    {
      name: 'synchronous mode: a replica clears synchronous_standby_names before starting',
      input: input({ local: replicaLocal({ running: false, synchronousStandbyNames: 'node3' }), settings: { synchronousMode: true } }),
      actions: ['set-synchronous-standby-names', 'start'],
    },
    {
      name: 'standby cluster lock holder stopped: starts as standby leader following the remote',
      input: input({ name: 'node1', local: replicaLocal({ running: false }), settings: { standbyCluster: { host: 'remote', port: 6432 } } }),
      message: 'starting as a standby leader because i had the session lock',
      includes: [{ type: 'start', asPrimary: false, follow: { name: 'remote_member', connUrl: 'postgres://remote:6432/postgres' } }],
    },
    {
      name: 'standby cluster without leader, replica stopped: follows the remote member',
      input: input({ cluster: cluster({ leader: undefined }), local: replicaLocal({ running: false }), settings: { standbyCluster: { host: 'remote' } } }),
      message: 'trying to follow a remote member because standby cluster is unhealthy',
    },
  ]);
});

describe('decide: slots on a replica for the members cascading from it (spec/postgres.md)', () => {
  const cascading = cluster({ members: [member('node1'), member('node2'), member('node3', { tags: { replicatefrom: 'node2' } })] });
  runCases([
    {
      name: 'member_slots_ttl 0 (Patroni 3): a replica another member cascades from keeps a slot for it, and drops unknown inactive slots as Patroni does',
      input: input({ cluster: cascading, settings: settings({ useSlots: true, memberSlotsTtlSeconds: 0 }) }),
      ruleId: 'follow.leader',
      includes: [{ type: 'sync-slots', members: ['node3'], permanent: [], dropUnknown: true }],
    },
    {
      name: 'paused: a replica leaves its slots alone',
      input: input({ cluster: cascading, settings: settings({ useSlots: true, memberSlotsTtlSeconds: 0, paused: true }) }),
      actions: [],
    },
    {
      name: 'member_slots_ttl (Patroni 4 default): a replica keeps a slot for every other member, advanced to what each reports, and for a departed member the leader retains',
      input: input({
        cluster: { ...cascading, members: [member('node1', { xlog_location: 70_000_000 }), member('node2'), member('node3', { tags: { replicatefrom: 'node2' }, xlog_location: 60_000_000 }), member('node4', { tags: { nostream: true } })], retainSlots: ['node1', 'node2', 'node3', 'node4', 'node5'] },
        settings: settings({ useSlots: true }),
      }),
      includes: [{ type: 'sync-slots', members: ['node3', 'node1', 'node5'], advance: { node1: 70_000_000 }, dropUnknown: true }],
    },
    {
      name: 'member_slots_ttl on a nofailover replica: only the slots of members cascading from it',
      input: input({ tags: { nofailover: true }, cluster: cascading, settings: settings({ useSlots: true }) }),
      includes: [{ type: 'sync-slots', members: ['node3'] }],
    },
    {
      name: 'nobody cascades from this replica and member_slots_ttl is 0: no slot work in its cycle',
      input: input({ name: 'node3', tags: { replicatefrom: 'node2' }, cluster: cascading, settings: settings({ useSlots: true, memberSlotsTtlSeconds: 0 }), local: replicaLocal({ followingHost: '10.0.0.2:5432' }) }),
      ruleId: 'follow.leader',
      actions: [],
    },
    {
      name: 'use_slots off: no slots on a replica either',
      input: input({ cluster: cascading, settings: settings({ useSlots: false }) }),
      actions: [],
    },
  ]);
});
