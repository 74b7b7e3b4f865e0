/**
 * A promotion never reuses a timeline the cluster already used: PostgreSQL
 * would name the new timeline after the newest history file it has, and a
 * member that never streamed from the one that promoted (down or cut off
 * then) would take the same number — two histories under one timeline that
 * pg_rewind cannot tell apart. decide() tells the adapter which timelines to
 * skip; the leader marks them in /history (a line marked skipped), written
 * once, so that the cluster timeline stays known when its member key is gone.
 */
import { describe, expect, it } from 'vitest';
import { SKIPPED_TIMELINE_REASON, type Action, type HistoryLine, type PeerStatus } from '../../src/index.js';
import { decide, initialMemory } from '../../src/ha/index.js';
import { NOW, cluster, input, leaderInput, member, memory, peer, primaryLocal, replicaLocal, unlockedCluster } from './fixtures.js';

const dead = peer('node1', { reachable: false });
const ahead = [dead, peer('node3', { walPosition: 49_000_000, timeline: 18 })];
const upTo18: HistoryLine[] = [
  [16, 30_000_000, 'no recovery target specified'],
  [17, 40_000_000, 'no recovery target specified'],
];
/** node1 promoted to timeline 19 at 50 MB (its /history line), then died before anyone streamed from it. */
const with19: HistoryLine[] = [...upTo18, [18, 50_000_000, 'no recovery target specified']];

/** node2 and node3's member keys; node1's expired. */
const others = [member('node2', { timeline: 18 }), member('node3', { timeline: 18 })];

const promoteOf = (actions: readonly Action[]): Action | undefined => actions.find((action) => action.type === 'promote');

describe('decide: the promotion skips timelines the cluster already used', () => {
  it('a race winner on timeline 18 while /history records timeline 19: skips through 19', () => {
    const result = decide(input({ cluster: unlockedCluster({ history: { version: 4, lines: with19 } }), local: replicaLocal({ timeline: 18 }), peers: ahead }));
    expect(result.ruleId).toBe('race.won.promote');
    expect(promoteOf(result.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 19 });
  });

  it('a dead primary known only by its member key (timeline 19, no /history line yet): skips through 19', () => {
    const members = [member('node1', { state: 'stopped', timeline: 19 }), member('node2', { timeline: 18 }), member('node3', { timeline: 18 })];
    const result = decide(input({ cluster: unlockedCluster({ members, history: { version: 4, lines: upTo18 } }), local: replicaLocal({ timeline: 18 }), peers: ahead }));
    expect(promoteOf(result.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 19 });
  });

  it('a peer that answers on timeline 19 (its key and /history do not say so yet): skips through 19', () => {
    const peers = [dead, peer('node3', { walPosition: 49_000_000, timeline: 19 })];
    const result = decide(input({ cluster: unlockedCluster({ history: { version: 4, lines: upTo18 } }), local: replicaLocal({ timeline: 18 }), peers }));
    expect(result.ruleId).toBe('race.won.promote');
    expect(promoteOf(result.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 19 });
  });

  it('a peer whose PostgreSQL is stopped, its data directory on timeline 19 (unreachable as a candidate): skips through 19', () => {
    const peers = [peer('node1', { reachable: false, timeline: 19 }), peer('node3', { walPosition: 49_000_000, timeline: 18 })];
    const result = decide(input({ cluster: unlockedCluster({ history: { version: 4, lines: upTo18 } }), local: replicaLocal({ timeline: 18 }), peers }));
    expect(result.ruleId).toBe('race.won.promote');
    expect(promoteOf(result.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 19 });
  });

  it('the key\'s last holder was never seen running as a primary and does not answer: it may have promoted to 19 unseen, skips to a number of its own', () => {
    // node1 took the key and was promoting when it was cut off from the DCS, then from us (the simulator:
    // both took 19, from the same switchpoint).
    const lastSeen = memory({ lastSeenLeader: 'node1', lastSeenMembers: ['node1', 'node2', 'node3'] });
    const { timeline: _none, ...silent } = dead; // no answer, no timeline
    const peers = [silent, ahead[1] as (typeof ahead)[number]];
    // Its member key expired with the leader key (one lease).
    const result = decide(input({ memory: lastSeen, cluster: unlockedCluster({ history: { version: 4, lines: upTo18 }, members: others }), local: replicaLocal({ timeline: 18 }), peers }));
    expect(result.ruleId).toBe('race.won.promote');
    // 20 or above, and node2's own (second of node1..node3: 22 ≡ 1 mod 3).
    expect(promoteOf(result.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 21 });
    // A holder that released the key wrote its member key with its timeline in the same request: it
    // says what it promoted to (a switchover's candidate reads it), nothing to skip.
    const released = [member('node1', { state: 'stopped', role: 'replica', timeline: 18 }), ...others];
    const handedOver = decide(input({ memory: lastSeen, cluster: unlockedCluster({ history: { version: 4, lines: upTo18 }, members: released }), local: replicaLocal({ timeline: 18 }), peers }));
    expect(promoteOf(handedOver.actions)).toEqual({ type: 'promote' });
  });

  it('the key\'s last holder, its member key outliving the lock and written while it promoted: skips to a number of its own', () => {
    // The simulator (fast profile, seed 141171): node4's member key, written while it promoted to 129,
    // outlived its lock by a few milliseconds (Redis expires each key on its own); node5 took 129 too.
    const lastSeen = memory({ lastSeenLeader: 'node1', lastSeenMembers: ['node1', 'node2', 'node3'] });
    const promoting = [member('node1', { role: 'promoted', timeline: 18 }), ...others];
    const race = (peers: readonly PeerStatus[]) => decide(input({ memory: lastSeen, cluster: unlockedCluster({ history: { version: 4, lines: upTo18 }, members: promoting }), local: replicaLocal({ timeline: 18 }), peers }));
    const { timeline: _none, ...silent } = dead;
    const unsure = race([silent, ahead[1] as PeerStatus]);
    expect(unsure.ruleId).toBe('race.won.promote');
    expect(promoteOf(unsure.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 21 });
    // It answers with its timeline: nothing to skip.
    expect(promoteOf(race([peer('node1', { reachable: false, timeline: 18 }), ahead[1] as PeerStatus]).actions)).toEqual({ type: 'promote' });
  });

  it('the key\'s last holder seen running as a primary on 18, or answering with its timeline: a plain promote', () => {
    const history = { version: 4, lines: upTo18 };
    const seenRunning = memory({ lastSeenLeader: 'node1', lastSeenLeaderTimeline: 18, lastSeenMembers: ['node1', 'node2', 'node3'] });
    const ran = decide(input({ memory: seenRunning, cluster: unlockedCluster({ history }), local: replicaLocal({ timeline: 18 }), peers: ahead }));
    expect(promoteOf(ran.actions)).toEqual({ type: 'promote' });
    const unseen = memory({ lastSeenLeader: 'node1', lastSeenMembers: ['node1', 'node2', 'node3'] });
    const peers = [peer('node1', { reachable: false, timeline: 18 }), ahead[1] as (typeof ahead)[number]];
    const answered = decide(input({ memory: unseen, cluster: unlockedCluster({ history }), local: replicaLocal({ timeline: 18 }), peers }));
    expect(promoteOf(answered.actions)).toEqual({ type: 'promote' });
  });

  it('a holder seen running as a primary, but not watched for longer than ttl before its key was gone: it may have promoted again unseen, skips to a number of its own', () => {
    // The simulator (fast profile, seed 201): node2, seen as primary on 38, lost the DCS and restarted as a
    // replica while its key lived on, promoted to 39 when the DCS came back, and was reset; node1, frozen
    // through all of it, saw the key gone and took 39 too.
    const history = { version: 4, lines: upTo18 };
    const holder = [member('node1', { timeline: 18 }), ...others];
    const watching = decide(input({ cluster: cluster({ history, members: holder }), local: replicaLocal({ timeline: 18 }) }));
    expect(watching.memory).toMatchObject({ lastSeenLeader: 'node1', lastSeenLeaderTimeline: 18, lastSeenLeaderAtMs: NOW });
    const { timeline: _none, ...silent } = dead;
    const peers = [silent, ahead[1] as (typeof ahead)[number]];
    const ttlMs = 30_000;
    const raceAt = (nowMs: number) => decide(input({ nowMs, memory: watching.memory, cluster: unlockedCluster({ history, members: others }), local: replicaLocal({ timeline: 18 }), peers }));
    // Watched until the key was gone (the next snapshot within ttl): the holder's timeline is known, a plain promote.
    const watched = raceAt(NOW + ttlMs);
    expect(watched.ruleId).toBe('race.won.promote');
    expect(promoteOf(watched.actions)).toEqual({ type: 'promote' });
    expect(watched.memory.lastSeenLeaderTimeline).toBe(18);
    expect(watched.memory.lastSeenLeaderAtMs).toBeUndefined();
    // The next snapshot only after more than ttl: unsure.
    const frozen = raceAt(NOW + ttlMs + 1);
    expect(frozen.ruleId).toBe('race.won.promote');
    expect(promoteOf(frozen.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 21 });
    expect(frozen.memory.lastSeenLeaderTimeline).toBeUndefined();
    // The gap judged once: later leaderless cycles of an agent that watched keep the timeline (each read
    // within ttl of the one before it; a longer gap is unsure of every holder, see the next test).
    const later = decide(input({ nowMs: NOW + ttlMs + 20_000, memory: watched.memory, cluster: unlockedCluster({ history, members: others }), local: replicaLocal({ timeline: 18 }), peers }));
    expect(promoteOf(later.actions)).toEqual({ type: 'promote' });
  });

  it('a leaderless snapshot more than ttl after the last one: someone may have held the key meanwhile, skips to a number of its own', () => {
    // The simulator (seed 121096): node2, frozen for 64 s after seeing node4 lead, woke to no key and a
    // switchover naming it. node5 had held the key meanwhile, promoted to 21 and crashed, its key expired;
    // node4, the leader node2 had seen, was back as a replica. node2 took 21 as well.
    const history = { version: 4, lines: upTo18 };
    const watching = decide(input({ cluster: cluster({ history, members: [member('node1', { timeline: 18 }), ...others] }), local: replicaLocal({ timeline: 18 }) }));
    expect(watching.memory.lastReadAtMs).toBe(NOW);
    // node1 is back as a replica and answers; node3 (its member key gone) does not.
    const back = [member('node1', { role: 'replica', state: 'running', timeline: 18 }), member('node2', { timeline: 18 })];
    const { timeline: _none, ...silent } = peer('node3', { reachable: false });
    const peers = [peer('node1', { walPosition: 40_000_000, timeline: 18 }), silent];
    const ttlMs = 30_000;
    const raceAt = (nowMs: number) => decide(input({ nowMs, memory: watching.memory, cluster: unlockedCluster({ history, members: back }), local: replicaLocal({ timeline: 18 }), peers }));
    const inTime = raceAt(NOW + ttlMs);
    expect(inTime.ruleId).toBe('race.won.promote');
    expect(promoteOf(inTime.actions)).toEqual({ type: 'promote' });
    const late = raceAt(NOW + ttlMs + 1);
    expect(late.ruleId).toBe('race.won.promote');
    // node2's own number, second of node1..node3: 22 ≡ 1 mod 3.
    expect(promoteOf(late.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 21 });
    expect(late.memory).toMatchObject({ leaderlessSinceOutage: true, lastReadAtMs: NOW + ttlMs + 1 });
    // Every member of the last snapshot answering with its timeline: nobody silent, a plain promote.
    const answered = decide(input({ nowMs: NOW + ttlMs + 1, memory: watching.memory, cluster: unlockedCluster({ history, members: back }), local: replicaLocal({ timeline: 18 }), peers: [peers[0] as (typeof peers)[number], peer('node3', { reachable: false, timeline: 18 })] }));
    expect(promoteOf(answered.actions)).toEqual({ type: 'promote' });
  });

  it('the same holder, its key saying it no longer runs as a primary: its timeline is no longer known; without a member key, only after more than ttl', () => {
    // The simulator (fast profile, seed 141159): node3, seen as primary on 29, was demoted offline with the
    // DCS out, promoted to 30 and then to 31 under the same key, and crashed; node2 had streamed onto 30 and
    // took 31 as well, from the same switchpoint.
    const history = { version: 4, lines: upTo18 };
    const watching = decide(input({ cluster: cluster({ history, members: [member('node1', { timeline: 18 }), ...others] }), local: replicaLocal({ timeline: 18 }) }));
    const restarted = [member('node1', { role: 'replica', state: 'running', timeline: 18 }), ...others];
    const soon = decide(input({ nowMs: NOW + 1_000, memory: watching.memory, cluster: cluster({ history, members: restarted }), local: replicaLocal({ timeline: 18 }) }));
    expect(soon.memory.lastSeenLeaderTimeline).toBeUndefined();
    // Its lock and member key then gone and no answer: it may have promoted again, a number of our own.
    const { timeline: _none, ...silent } = dead;
    const race = decide(input({ nowMs: NOW + 2_000, memory: soon.memory, cluster: unlockedCluster({ history, members: others }), local: replicaLocal({ timeline: 18 }), peers: [silent, ahead[1] as PeerStatus] }));
    expect(promoteOf(race.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 21 });
    // Running as a primary again: known again.
    const again = decide(input({ nowMs: NOW + 2_000, memory: soon.memory, cluster: cluster({ history, members: [member('node1', { timeline: 18 }), ...others] }), local: replicaLocal({ timeline: 18 }) }));
    expect(again.memory.lastSeenLeaderTimeline).toBe(18);
    // The holder's member key missing: carried over while watched, not after a gap longer than ttl.
    const keyless = (nowMs: number) => decide(input({ nowMs, memory: watching.memory, cluster: cluster({ history, members: others }), local: replicaLocal({ timeline: 18 }) }));
    expect(keyless(NOW + 10_000).memory.lastSeenLeaderTimeline).toBe(18);
    const afterGap = keyless(NOW + 31_000);
    expect(afterGap.memory.lastSeenLeaderTimeline).toBeUndefined();
    expect(afterGap.memory.lastSeenLeaderAtMs).toBe(NOW + 31_000);
  });

  it('a member in the DCS whose key names no timeline and that we asked in vain: it may have led and promoted while we did not look, skips to a number of its own', () => {
    // The simulator (fast profile, seed 49): node2 held the key while node4 was frozen, promoted to 53 and
    // was reset; restarted with PostgreSQL stopped, its key said "stopped" and no timeline, and it did not
    // answer node4's race, which took 53 as well.
    const history = { version: 4, lines: upTo18 };
    const sure = memory({ lastSeenLeader: 'node3', lastSeenLeaderTimeline: 18, lastSeenMembers: ['node1', 'node2', 'node3'] });
    const { timeline: _noTimeline, xlog_location: _noPosition, ...keyData } = member('node1', { state: 'stopped', role: 'demoted' }).data;
    const stopped = { ...member('node1'), data: keyData };
    const { timeline: _none, ...unanswered } = dead;
    const behind = peer('node3', { walPosition: 40_000_000, timeline: 18 });
    const race = (peers: readonly (typeof behind)[]) => decide(input({ memory: sure, cluster: unlockedCluster({ history, members: [stopped, ...others] }), local: replicaLocal({ timeline: 18 }), peers }));
    const unsure = race([unanswered, behind]);
    expect(unsure.ruleId).toBe('race.won.promote');
    // node2's own number, second of node1..node3: 22 ≡ 1 mod 3.
    expect(promoteOf(unsure.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 21 });
    // It answered with its data directory's timeline, or its key names one: nothing to skip.
    expect(promoteOf(race([peer('node1', { reachable: false, timeline: 18 }), behind]).actions)).toEqual({ type: 'promote' });
    const named = decide(input({ memory: sure, cluster: unlockedCluster({ history, members: [member('node1', { state: 'stopped', role: 'demoted', timeline: 18 }), ...others] }), local: replicaLocal({ timeline: 18 }), peers: [unanswered, behind] }));
    expect(promoteOf(named.actions)).toEqual({ type: 'promote' });
    // The same after a DCS outage that ended with nobody holding the key, every member of the last snapshot present.
    const afterOutage = decide(input({ memory: { ...sure, dcsUnreachableSinceMs: NOW - 20_000 }, cluster: unlockedCluster({ history, members: [stopped, ...others] }), local: replicaLocal({ timeline: 18 }), peers: [unanswered, behind] }));
    expect(promoteOf(afterOutage.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 21 });
  });

  it('the DCS comes back to us with nobody holding the key: someone may have held it and promoted meanwhile, skips to a number of its own until a snapshot shows a leader', () => {
    const history = { version: 4, lines: upTo18 };
    const afterOutage = memory({ lastSeenLeader: 'node1', lastSeenLeaderTimeline: 18, dcsUnreachableSinceMs: NOW - 20_000, lastSeenMembers: ['node1', 'node2', 'node3'] });
    const { timeline: _none, ...silent } = dead;
    const back = decide(input({ memory: afterOutage, cluster: unlockedCluster({ history, members: others }), local: replicaLocal({ timeline: 18 }), peers: [silent, ahead[1] as (typeof ahead)[number]] }));
    expect(back.ruleId).toBe('race.won.promote');
    expect(promoteOf(back.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 21 });
    expect(back.memory.leaderlessSinceOutage).toBe(true);
    const led = decide(input({ memory: back.memory, cluster: cluster({ history, members: [member('node1', { timeline: 18 }), member('node2'), member('node3')] }), local: replicaLocal({ timeline: 18 }) }));
    expect(led.memory.leaderlessSinceOutage).toBeUndefined();
    const plain = decide(input({ memory: led.memory, cluster: unlockedCluster({ history }), local: replicaLocal({ timeline: 18 }), peers: ahead }));
    expect(promoteOf(plain.actions)).toEqual({ type: 'promote' });
  });

  it('the DCS comes back with nobody holding the key: a member known from before, silent now, may have held it', () => {
    // The simulator (5 members, fast profile, seed 161111): node4's last snapshot listed node2 only; node5, back
    // from a reset, held the key while the DCS was out for node4, promoted to 260 and was cut off. node4 came
    // back to no keys at all, node2 answered, and node4 took 260 too.
    const history = { version: 4, lines: upTo18 };
    const afterOutage = (knownMembers: readonly string[]) => memory({ lastSeenLeader: 'node1', lastSeenLeaderTimeline: 18, dcsUnreachableSinceMs: NOW - 5_000, lastSeenMembers: ['node1', 'node2'], knownMembers });
    const peers = [peer('node1', { walPosition: 40_000_000, timeline: 18 })];
    const race = (knownMembers: readonly string[]) => decide(input({ memory: afterOutage(knownMembers), cluster: unlockedCluster({ history, members: [] }), local: replicaLocal({ timeline: 18 }), peers }));
    const unsure = race(['node1', 'node2', 'node3']);
    expect(unsure.ruleId).toBe('race.won.promote');
    // node2's own number, second of node1..node3: 22 ≡ 1 mod 3.
    expect(promoteOf(unsure.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 21 });
    // Every member it ever knew answered: a plain promote.
    expect(promoteOf(race(['node1', 'node2']).actions)).toEqual({ type: 'promote' });
  });

  it('an agent that started during the outage and never saw a leader cannot name who held the key: a number of its own too', () => {
    // The simulator (fast profile, seed 78): node2 promoted to 25 while the DCS was out for it, and its key
    // expired; node1's agent had just started, found the DCS out, then back with nobody holding the key,
    // and took 25 as well — its memory held no member to call silent.
    const history = { version: 4, lines: upTo18 };
    const started = memory({ dcsUnreachableSinceMs: NOW - 20_000, lastSeenMembers: [] });
    const { timeline: _none, ...silent } = dead;
    const back = decide(input({ memory: started, cluster: unlockedCluster({ history, members: others }), local: replicaLocal({ timeline: 18 }), peers: [silent, ahead[1] as (typeof ahead)[number]] }));
    expect(back.ruleId).toBe('race.won.promote');
    expect(promoteOf(back.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 21 });
    // The same agent with the DCS there from its start is just as unsure (the simulator, 2 members, seed
    // 12012: node2 promoted to 24 cut off from the DCS and its key expired; node1's agent, restarted,
    // found nobody holding the key and took 24 as well). A cluster restarted cold skips a number or two.
    const cold = decide(input({ memory: initialMemory(), cluster: unlockedCluster({ history, members: others }), local: replicaLocal({ timeline: 18 }), peers: ahead }));
    expect(promoteOf(cold.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 21 });
    // Until it sees a leader: then it has watched the key's holder like any other agent.
    const watched = decide(input({ memory: initialMemory(), cluster: cluster({ history, members: [member('node1', { role: 'primary', timeline: 18 }), ...others] }), local: replicaLocal({ timeline: 18 }) }));
    const later = decide(input({ memory: watched.memory, cluster: unlockedCluster({ history, members: others }), local: replicaLocal({ timeline: 18 }), peers: ahead }));
    expect(promoteOf(later.actions)).toEqual({ type: 'promote' });
  });

  it('an agent that has just started and finds only its own key knows the others by the new leaders /history names', () => {
    // The simulator (2 members): with no other name its "own" number was every number, and a restarted
    // member took the one its silent peer had promoted to.
    const stamped: HistoryLine[] = [
      [16, 30_000_000, 'no recovery target specified', '2026-12-07T10:00:00+00:00', 'node1'],
      [17, 40_000_000, 'no recovery target specified', '2026-12-07T11:00:00+00:00', 'node2'],
    ];
    const alone = unlockedCluster({ history: { version: 4, lines: stamped }, members: [member('node2', { timeline: 18 })] });
    const result = decide(input({ name: 'node2', memory: initialMemory(), cluster: alone, local: replicaLocal({ timeline: 18 }), peers: [] }));
    expect(result.ruleId).toBe('race.won.promote');
    // 20 or above, and node2's own (second of node1, node2: 21 ≡ 1 mod 2): through 20, not 19.
    expect(promoteOf(result.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 20 });
    // Holding the key itself, it has still watched nobody: a promotion it takes again under the key (the
    // first one interrupted by a postmaster crash; the simulator, seed 12070) is as unsure.
    const held = cluster({ leader: { name: 'node2', version: 11 }, history: { version: 4, lines: stamped }, members: [member('node2', { timeline: 18 })] });
    const again = decide(input({ name: 'node2', memory: initialMemory(), cluster: held, local: replicaLocal({ timeline: 18 }) }));
    expect(again.ruleId).toBe('leader.keep-lock.promote');
    expect(promoteOf(again.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 20 });
    expect(again.memory.leaderlessSinceOutage).toBe(true);
  });

  it('a promotion decided again under the key it won keeps the numbers the first decision skipped', () => {
    // The simulator (3 members, fault rate 0.1, seed 81004): node3 promoted to 23 unseen and was cut off;
    // node2 won the race unsure and skipped through 24, a postmaster crash interrupted its promotion, and
    // the retry under the key it held no longer counted the silent member (its snapshot did not list it)
    // and took 23 as well.
    const history = { version: 4, lines: upTo18 };
    const afterOutage = memory({ lastSeenLeader: 'node1', lastSeenLeaderTimeline: 18, dcsUnreachableSinceMs: NOW - 20_000, lastSeenMembers: ['node1', 'node2', 'node3'] });
    const { timeline: _none, ...silent } = dead;
    const won = decide(input({ memory: afterOutage, cluster: unlockedCluster({ history, members: others }), local: replicaLocal({ timeline: 18 }), peers: [silent, ahead[1] as (typeof ahead)[number]] }));
    expect(won.ruleId).toBe('race.won.promote');
    expect(promoteOf(won.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 21 });
    // PostgreSQL crashed before the promotion ended: restarted read-only under the key, then promoted
    // again. The retry sees itself as the leader, among members that all answer for themselves.
    const held = cluster({ leader: { name: 'node2', version: 11 }, history, members: others });
    const retry = decide(input({ memory: won.memory, cluster: held, local: replicaLocal({ timeline: 18 }) }));
    expect(retry.ruleId).toBe('leader.keep-lock.promote');
    // The snapshot names node2 and node3 only: node1, silent, is no longer among the members it saw.
    expect(retry.memory.lastSeenMembers).toEqual(['node2', 'node3']);
    expect(promoteOf(retry.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 21 });
    const third = decide(input({ memory: retry.memory, cluster: held, local: replicaLocal({ timeline: 18 }) }));
    expect(promoteOf(third.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 21 });
    // A cycle without the DCS keeps them; a snapshot in which the key is not ours drops them: a later race
    // judges afresh (node1 led on 18 meanwhile: a plain promote).
    const cut = decide(input({ memory: third.memory, cluster: { ok: false, message: 'etcd timed out' }, local: replicaLocal({ timeline: 18 }) }));
    expect(cut.memory.promotionSkippedThrough).toBe(21);
    const taken = decide(input({ memory: cut.memory, cluster: cluster({ history, members: [member('node1', { timeline: 18 }), ...others] }), local: replicaLocal({ timeline: 18 }) }));
    expect(taken.memory.promotionSkippedThrough).toBeUndefined();
    const later = decide(input({ memory: taken.memory, cluster: unlockedCluster({ history, members: others }), local: replicaLocal({ timeline: 18 }), peers: ahead }));
    expect(later.ruleId).toBe('race.won.promote');
    expect(promoteOf(later.actions)).toEqual({ type: 'promote' });
  });

  it('a restarted agent ranks itself among the names its data directory kept, not only those it finds', () => {
    // The simulator (2 members, seeds 12037 and 12145): node2 promoted unsure to 3 (its own: 3 ≡ 1 mod 2)
    // while node1 was down, before /history named anyone, and died; node1's agent, restarted, found no key
    // but its own and, knowing no other name, took 3 as well.
    const { history: _none, ...noHistory } = unlockedCluster({ members: [member('node1', { timeline: 1 })] });
    const forgetful = decide(input({ name: 'node1', memory: initialMemory(), cluster: noHistory, local: replicaLocal({ timeline: 1 }), peers: [] }));
    expect(promoteOf(forgetful.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 2 }); // → 3, the peer's own
    const kept = decide(input({ name: 'node1', memory: initialMemory({ knownMembers: ['node1', 'node2'] }), cluster: noHistory, local: replicaLocal({ timeline: 1 }), peers: [] }));
    expect(kept.ruleId).toBe('race.won.promote');
    expect(promoteOf(kept.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 3 }); // → 4, node1's own (≡ 0 mod 2)
  });

  it('memory keeps every member name seen, the current ones first, the same array while nothing changes', () => {
    const members = [member('node2'), member('node1'), member('node3')];
    const first = decide(input({ cluster: cluster({ members }), local: replicaLocal() }));
    expect(first.memory.knownMembers).toEqual(['node1', 'node2', 'node3']);
    const again = decide(input({ memory: first.memory, cluster: cluster({ members }), local: replicaLocal() }));
    expect(again.memory.knownMembers).toBe(first.memory.knownMembers);
    // node3's key expires, node4 joins: node3 is still known, after the members of the snapshot.
    const later = decide(input({ memory: again.memory, cluster: cluster({ members: [member('node1'), member('node2'), member('node4')] }), local: replicaLocal() }));
    expect(later.memory.knownMembers).toEqual(['node1', 'node2', 'node4', 'node3']);
    // An unreachable DCS and a snapshot without members change nothing.
    const none = decide(input({ memory: later.memory, cluster: unlockedCluster({ members: [] }), local: replicaLocal() }));
    expect(none.memory.knownMembers).toBe(later.memory.knownMembers);
    // A new agent takes at most 32 of the names an earlier one kept, and no empty one.
    expect(initialMemory({ knownMembers: ['', ...Array.from({ length: 40 }, (_, index) => `m${index}`)] }).knownMembers).toHaveLength(32);
    expect(initialMemory({ knownMembers: [] }).knownMembers).toBeUndefined();
  });

  it('before the cluster\'s first promotion, with every member key expired, our own timeline counts as seen', () => {
    // The simulator (2 members, seed 12038): node2 promoted to 2 while node1 was cut off, and its key
    // expired; there was no /history yet and no member key named a timeline, so node1, unsure, skipped
    // "from 0" and took 2 as well.
    const back = memory({ dcsUnreachableSinceMs: NOW - 20_000, lastSeenMembers: ['node1', 'node2'], lastSeenLeader: 'node2' });
    const { history: _none, ...noHistory } = unlockedCluster({ members: [] });
    const result = decide(input({ name: 'node1', memory: back, cluster: noHistory, local: replicaLocal({ timeline: 1 }), peers: [{ name: 'node2', reachable: false }] }));
    expect(result.ruleId).toBe('race.won.promote');
    // 3 or above, and node1's own (first of node1, node2: 4 ≡ 0 mod 2): through 3.
    expect(promoteOf(result.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 3 });
  });

  it('members unsure of a silent holder each take a number of their own: one that skipped for a silent member is not met by one that skips for it', () => {
    // node3 never saw node2 run as a primary; node2 is silent now (the simulator, failsafe mode under DCS
    // outages and partitions): node3 skips a number for it. node1 later never saw node3 lead, and node3 is
    // silent in turn. With "one more" each, both took 20.
    /** `self` races on timeline 18; `silent` held the key unseen, its key is gone and it does not answer; the third answers. */
    const race = (self: string, silent: string, third: string) => {
      const { timeline: _none, ...unanswered } = peer(silent, { reachable: false });
      return decide(input({
        name: self,
        memory: memory({ lastSeenLeader: silent, lastSeenMembers: ['node1', 'node2', 'node3'] }),
        cluster: unlockedCluster({ history: { version: 4, lines: upTo18 }, members: [member(self, { role: 'replica', timeline: 18 }), member(third, { role: 'replica', timeline: 18 })] }),
        local: replicaLocal({ timeline: 18 }),
        peers: [peer(third, { walPosition: 49_000_000, timeline: 18 }), unanswered],
      }));
    };
    const node3 = race('node3', 'node2', 'node1');
    expect(node3.ruleId).toBe('race.won.promote');
    expect(promoteOf(node3.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 19 }); // → 20, node3's own (≡ 2 mod 3)
    const node1 = race('node1', 'node3', 'node2');
    expect(node1.ruleId).toBe('race.won.promote');
    expect(promoteOf(node1.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 20 }); // → 21, node1's own (≡ 0 mod 3)
  });

  it('memory keeps the timeline the key holder was seen running on as a primary, while its key says it still runs as one', () => {
    const running = decide(input({ cluster: cluster({ members: [member('node1', { timeline: 18 }), member('node2'), member('node3')] }), local: replicaLocal({ timeline: 18 }) }));
    expect(running.memory.lastSeenLeaderTimeline).toBe(18);
    // The same holder, its member key now saying it is stopping: it may start again under the key and
    // promote to a number we do not see, so its timeline is no longer known.
    const stopping = [member('node1', { timeline: 18, state: 'stopping' }), member('node2'), member('node3')];
    const later = decide(input({ memory: running.memory, cluster: cluster({ members: stopping }), local: replicaLocal({ timeline: 18 }) }));
    expect(later.memory.lastSeenLeaderTimeline).toBeUndefined();
    // A new holder still promoting (its key says replica): not known to run on any timeline.
    const promoting = [member('node1', { timeline: 18 }), member('node2'), member('node3', { role: 'replica', timeline: 18 })];
    const next = decide(input({ memory: later.memory, cluster: cluster({ leader: { name: 'node3', version: 11 }, members: promoting }), local: replicaLocal({ timeline: 18 }) }));
    expect(next.memory.lastSeenLeader).toBe('node3');
    expect(next.memory.lastSeenLeaderTimeline).toBeUndefined();
  });

  it('an ordinary failover (our timeline is the cluster’s): a plain promote', () => {
    const result = decide(input({ cluster: unlockedCluster({ history: { version: 4, lines: upTo18 } }), local: replicaLocal({ timeline: 18 }), peers: ahead }));
    expect(result.ruleId).toBe('race.won.promote');
    expect(promoteOf(result.actions)).toEqual({ type: 'promote' });
  });

  it('the leader on timeline 20 after the skip writes /history with a line marked skipped for 19, once', () => {
    // Promoted from 18 at 50 MB past 19: its history file ends with 18's line, as node1's of timeline 19 did.
    const local = primaryLocal({ timeline: 20, timelineHistory: with19, replication: leaderInput().local.replication });
    const published = [...with19, [19, 50_000_000, SKIPPED_TIMELINE_REASON]] as HistoryLine[];
    const behind = decide(leaderInput({ local, cluster: cluster({ history: { version: 4, lines: upTo18 } }) }));
    expect(behind.actions).toContainEqual({ type: 'write-history', lines: published });
    // /history as node1 left it is the same list of lines as our file: without the skipped line it
    // would not be written, and say the cluster is on 19.
    const same = decide(leaderInput({ local, cluster: cluster({ history: { version: 5, lines: with19 } }) }));
    expect(same.actions).toContainEqual({ type: 'write-history', lines: published });
    const current = decide(leaderInput({ local, cluster: cluster({ history: { version: 6, lines: published } }) }));
    expect(current.actions.map((action) => action.type)).not.toContain('write-history');
  });

  it('with that line, the next race winner skips through 20 after the leader\'s member key is gone', () => {
    const published = [...with19, [19, 50_000_000, SKIPPED_TIMELINE_REASON]] as HistoryLine[];
    const result = decide(input({ cluster: unlockedCluster({ history: { version: 6, lines: published } }), local: replicaLocal({ timeline: 18 }), peers: ahead }));
    expect(promoteOf(result.actions)).toEqual({ type: 'promote', skipTimelinesThrough: 20 });
  });

  it('a replica of the other timeline 19 (its history file forks from 18 at 49 MB, the leader\'s at 50 MB) is diverged, not a replica of the leader', () => {
    const members = [member('node1', { timeline: 19, xlog_location: 60_000_000 }), member('node2'), member('node3')];
    const other = [...upTo18, [18, 49_000_000, 'no recovery target specified']] as HistoryLine[];
    const result = decide(input({ name: 'node3', cluster: cluster({ members, lastLsn: 60_000_000, history: { version: 6, lines: with19 } }), local: replicaLocal({ timeline: 19, walPosition: 55_000_000, timelineHistory: other }) }));
    expect(result.ruleId).toBe('follow.diverged-stuck');
    expect(result.diverged).toBe(true);
    expect(result.reason).toMatch(/timeline 19 began here from 18 at 0\/2EBAE40, on the leader from 18 at 0\/2FAF080/);
  });

  it('the same fork is the leader\'s history: an ordinary replica', () => {
    const members = [member('node1', { timeline: 19, xlog_location: 60_000_000 }), member('node2'), member('node3')];
    const result = decide(input({ name: 'node3', cluster: cluster({ members, lastLsn: 60_000_000, history: { version: 6, lines: with19 } }), local: replicaLocal({ timeline: 19, walPosition: 55_000_000, timelineHistory: with19 }) }));
    expect(result.ruleId).toBe('follow.leader');
  });

  it('not judged while /history is not yet the leader\'s timeline\'s', () => {
    const members = [member('node1', { timeline: 19, xlog_location: 60_000_000 }), member('node2'), member('node3')];
    const other = [...upTo18, [18, 49_000_000, 'no recovery target specified']] as HistoryLine[];
    const result = decide(input({ name: 'node3', cluster: cluster({ members, lastLsn: 60_000_000, history: { version: 6, lines: upTo18 } }), local: replicaLocal({ timeline: 19, walPosition: 55_000_000, timelineHistory: other }) }));
    expect(result.ruleId).toBe('follow.leader');
  });

  it('a leader that skipped: its fork is the line before the skipped one, at the skipped line\'s switchpoint', () => {
    const published = [...with19, [19, 50_000_000, SKIPPED_TIMELINE_REASON]] as HistoryLine[];
    const members = [member('node1', { timeline: 20, xlog_location: 60_000_000 }), member('node2'), member('node3')];
    const same = decide(input({ name: 'node3', cluster: cluster({ members, lastLsn: 60_000_000, history: { version: 6, lines: published } }), local: replicaLocal({ timeline: 20, walPosition: 55_000_000, timelineHistory: with19 }) }));
    expect(same.ruleId).toBe('follow.leader');
    const fromNineteen = [...with19, [19, 52_000_000, 'no recovery target specified']] as HistoryLine[];
    const other = decide(input({ name: 'node3', cluster: cluster({ members, lastLsn: 60_000_000, history: { version: 6, lines: published } }), local: replicaLocal({ timeline: 20, walPosition: 55_000_000, timelineHistory: fromNineteen }) }));
    expect(other.ruleId).toBe('follow.diverged-stuck');
  });

  it('a member of another timeline 18, behind the switchpoint the cluster\'s 18 ended at, is diverged and rewound from the leader', () => {
    // The cluster's 18 began from 17 at 40 MB and ended at 50 MB; ours began from 17 at 39 MB (a
    // promotion /history never heard of). 45 MB is behind 50 MB, so positions alone see no divergence.
    const members = [member('node1', { timeline: 19, xlog_location: 60_000_000 }), member('node2'), member('node3')];
    const other = [[16, 30_000_000, 'no recovery target specified'], [17, 39_000_000, 'no recovery target specified']] as HistoryLine[];
    const result = decide(input({ name: 'node3', cluster: cluster({ members, lastLsn: 60_000_000, history: { version: 6, lines: with19 } }), local: replicaLocal({ timeline: 18, walPosition: 45_000_000, timelineHistory: other }) }));
    expect(result.ruleId).toBe('follow.rewind');
    expect(result.reason).toMatch(/timeline 18 began here from 17 at 0\/25317C0, in \/history from 17 at 0\/2625A00/);
  });

  it('a replica of the cluster\'s own timeline 18 behind that switchpoint follows the leader', () => {
    const members = [member('node1', { timeline: 19, xlog_location: 60_000_000 }), member('node2'), member('node3')];
    const result = decide(input({ name: 'node3', cluster: cluster({ members, lastLsn: 60_000_000, history: { version: 6, lines: with19 } }), local: replicaLocal({ timeline: 18, walPosition: 45_000_000, timelineHistory: upTo18 }) }));
    expect(result.ruleId).toBe('follow.leader');
  });

  it('an older timeline after a skipped line began where the skipped line says, from the line before it', () => {
    // /history: 18 ended at 50 MB, 19 was skipped (20 began there from 18), 20 ended at 70 MB; the leader is on 21.
    const lines = [...with19, [19, 50_000_000, SKIPPED_TIMELINE_REASON], [20, 70_000_000, 'no recovery target specified']] as HistoryLine[];
    const members = [member('node1', { timeline: 21, xlog_location: 80_000_000 }), member('node2'), member('node3')];
    const decideWith = (timelineHistory: HistoryLine[]) =>
      decide(input({ name: 'node3', cluster: cluster({ members, lastLsn: 80_000_000, history: { version: 8, lines } }), local: replicaLocal({ timeline: 20, walPosition: 65_000_000, timelineHistory }) }));
    expect(decideWith(with19).ruleId).toBe('follow.leader');
    expect(decideWith([...with19, [19, 52_000_000, 'no recovery target specified']]).ruleId).toBe('follow.rewind');
  });

  it('the skipped line is no fork point: a member on timeline 19 (node1\'s) asks the leader for its history', () => {
    const published = [...with19, [19, 50_000_000, SKIPPED_TIMELINE_REASON]] as HistoryLine[];
    const members = [member('node1', { timeline: 20 }), member('node2'), member('node3')];
    const result = decide(input({ name: 'node3', cluster: cluster({ members, history: { version: 6, lines: published } }), local: replicaLocal({ timeline: 19, walPosition: 49_000_000 }) }));
    expect(result.ruleId).toBe('follow.ask-leader-history');
  });
});
