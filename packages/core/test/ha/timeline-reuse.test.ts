/**
 * A promotion never reuses a timeline the cluster already used: PostgreSQL
 * would name the new timeline after the newest history file it has, and a
 * member that never streamed from the one that promoted (down or cut off
 * then) would take the same number — two histories under one timeline that
 * pg_rewind cannot tell apart. decide() tells the adapter which timelines to
 * skip; /history with the gap that leaves is not rewritten every cycle.
 */
import { describe, expect, it } from 'vitest';
import type { Action, HistoryLine } from '../../src/index.js';
import { decide } from '../../src/ha/index.js';
import { cluster, input, leaderInput, member, peer, primaryLocal, replicaLocal, unlockedCluster } from './fixtures.js';

const dead = peer('node1', { reachable: false });
const ahead = [dead, peer('node3', { walPosition: 49_000_000, timeline: 18 })];
const upTo18: HistoryLine[] = [
  [16, 30_000_000, 'no recovery target specified'],
  [17, 40_000_000, 'no recovery target specified'],
];
/** node1 promoted to timeline 19 at 50 MB (its /history line), then died before anyone streamed from it. */
const with19: HistoryLine[] = [...upTo18, [18, 50_000_000, 'no recovery target specified']];

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

  it('an ordinary failover (our timeline is the cluster’s): a plain promote', () => {
    const result = decide(input({ cluster: unlockedCluster({ history: { version: 4, lines: upTo18 } }), local: replicaLocal({ timeline: 18 }), peers: ahead }));
    expect(result.ruleId).toBe('race.won.promote');
    expect(promoteOf(result.actions)).toEqual({ type: 'promote' });
  });

  it('the leader on timeline 20 after the skip does not rewrite /history, which ends where its timeline began', () => {
    const local = primaryLocal({ timeline: 20, timelineHistory: with19, replication: leaderInput().local.replication });
    const behind = decide(leaderInput({ local, cluster: cluster({ history: { version: 4, lines: upTo18 } }) }));
    expect(behind.actions).toContainEqual({ type: 'write-history', lines: with19 });
    const current = decide(leaderInput({ local, cluster: cluster({ history: { version: 5, lines: with19 } }) }));
    expect(current.actions.map((action) => action.type)).not.toContain('write-history');
  });
});
