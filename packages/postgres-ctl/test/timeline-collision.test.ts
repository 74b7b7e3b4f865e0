/**
 * Two promotions from one base on real PostgreSQL 15. x promotes, takes a
 * write and dies before y ever streamed from it; y is promoted next. Left
 * to itself PostgreSQL names y's timeline 2 as well — two histories under
 * one number, which pg_rewind calls "no rewind required" and on which x, as
 * a standby, stops ("record with incorrect prev-link"). Told the timeline
 * in use, promote() makes y take 3; x's divergence then shows, pg_rewind
 * finds the fork, and x rejoins without the write only it had.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUser } from '@pgwarden/testkit';
import { destroyMember, makeMember, sql, target, waitFor, type Member } from './helpers.js';

const labels = async (member: Member): Promise<string[]> => (await sql<{ label: string }>(member, 'SELECT label FROM marks ORDER BY label')).map((row) => row.label);

describe('two promotions from one base', () => {
  let p: Member;
  let x: Member;
  let y: Member;

  beforeAll(async () => {
    [p, x, y] = await Promise.all([makeMember('p'), makeMember('x'), makeMember('y')]);
    await p.ctl.bootstrap();
    await sql(p, 'CREATE TABLE marks (label text)');
    await p.ctl.syncReplicationSlots({ members: ['p', 'x', 'y'] });
    await Promise.all([x.ctl.createReplica(target(p)), y.ctl.createReplica(target(p))]);
    await Promise.all([x.ctl.start({ follow: target(p) }), y.ctl.start({ follow: target(p) })]);
  });
  afterAll(async () => {
    await Promise.all([p, x, y].map((member) => destroyMember(member)));
  });

  it('the second skips the timeline the first used, so the first one’s divergence shows and pg_rewind repairs it', async () => {
    await sql(p, "INSERT INTO marks VALUES ('base')");
    for (const replica of [x, y]) await waitFor(`${replica.name} replayed base`, async () => (await labels(replica)).includes('base'));
    // The leader's history as a standby reads it (replication connection and user): none on timeline 1.
    expect(await x.ctl.timelineHistory(target(p), 3000)).toEqual({ timeline: 1, lines: [] });
    expect(await p.ctl.stop({ mode: 'fast' })).toBeDefined();
    await expect(x.ctl.timelineHistory(target(p), 1000)).rejects.toThrow(/cannot read the timeline history of p/);

    expect(await x.ctl.promote()).toMatchObject({ promoted: true, timeline: 2 });
    await sql(x, "INSERT INTO marks VALUES ('only-on-x')");
    await x.ctl.stop({ mode: 'immediate', checkpoint: false });
    // Stopped before the checkpoint after its promotion may have ended: pg_control can still name
    // timeline 1, the history file in pg_wal names 2 — what the agent publishes for a race winner to skip.
    expect(await x.ctl.observe()).toMatchObject({ running: false, dataDirectoryTimeline: 2 });

    // y never streamed from x: no 00000002.history of its own.
    expect(await y.ctl.promote({ skipTimelinesThrough: 2 })).toMatchObject({ promoted: true, timeline: 3 });
    const placeholder = join(y.ctl.dataDir, 'pg_wal', '00000002.history');
    expect(readFileSync(placeholder, 'utf8')).toMatch(/^# timeline 2 is or may be in use by another member/);
    expect(statSync(placeholder).uid).toBe(postgresUser().uid);
    expect((await y.ctl.observe()).timelineHistory?.map((line) => [line[0], line[1]])).toEqual([[1, expect.any(Number)]]);
    // Its own promotion's line is stamped with its name although it forks from 1, not 2: a member that
    // starts alone in the DCS knows y by it.
    expect((await y.ctl.observe()).timelineHistory?.[0]?.slice(3)).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT/), 'y']);
    // y's own history goes 1 → 3: timeline 2, x's, is not in it (the agent's divergence check asks exactly this).
    const yHistory = (await y.ctl.observe()).timelineHistory?.map((line) => [line[0], line[1]]);
    expect(await x.ctl.timelineHistory(target(y), 3000)).toEqual({ timeline: 3, lines: yHistory });
    expect((await y.ctl.observe()).dataDirectoryTimeline).toBeUndefined();
    await y.ctl.syncReplicationSlots({ members: ['p', 'x', 'y'] });
    await sql(y, "INSERT INTO marks VALUES ('after-failover')");

    // What the agent does with a crashed primary before judging it: crash recovery (shut down on timeline 2).
    await x.ctl.crashRecovery();
    expect(await x.ctl.observe()).toMatchObject({ controlState: 'shut down', timeline: 2 });
    // A stopped data directory reports its own history too (the divergence check compares its fork with /history's).
    const xHistory = (await x.ctl.observe()).timelineHistory;
    expect(xHistory?.map((line) => [line[0], line[1]])).toEqual([[1, expect.any(Number)]]);
    const check = await x.ctl.checkRewind(target(y));
    expect(check).toMatchObject({ needed: true, localTimeline: 2, leaderTimeline: 3 });
    expect(await x.ctl.rewind(target(y))).toMatchObject({ outcome: 'rewound' });
    await x.ctl.start({ follow: target(y) });
    await waitFor('x streams from y on timeline 3', async () => {
      const local = await x.ctl.observe();
      return local.replicationState === 'streaming' && local.timeline === 3;
    });
    await waitFor('after-failover on x', async () => (await labels(x)).includes('after-failover'));
    // As a standby on 3 it reports the history file it received from y, unstamped (only a primary stamps its promotion).
    const received = (await x.ctl.observe()).timelineHistory;
    expect(received?.map((line) => [line[0], line[1]])).toEqual(yHistory);
    expect(received?.every((line) => line.length === 3)).toBe(true);
    expect(await labels(x)).toEqual(['after-failover', 'base']);
  });

  it('a promotion told of a timeline at or below its own changes nothing', async () => {
    // y is primary on 3 now; x, its standby, is on 3: nothing to skip, no file written.
    const before = (await sql<{ name: string }>(y, "SELECT name FROM pg_ls_waldir() WHERE name LIKE '%.history' ORDER BY 1")).map((row) => row.name);
    expect(await y.ctl.promote({ skipTimelinesThrough: 3 })).toMatchObject({ promoted: true, alreadyPrimary: true, timeline: 3 });
    const after = (await sql<{ name: string }>(y, "SELECT name FROM pg_ls_waldir() WHERE name LIKE '%.history' ORDER BY 1")).map((row) => row.name);
    expect(after).toEqual(before);
  });
});
