/**
 * A replica on a timeline branch the new leader never had. Members a, b, c:
 * c stops on timeline 1; a switchover makes b primary on timeline 2 and a
 * streams from it; b takes rows; a's agent and then b (agent and postmaster)
 * are SIGKILLed; once b's key has expired, c, started again alone, takes
 * over and promotes past timeline 2, forked from timeline 1 where c
 * stopped. (An agent that starts to find no leader cannot know who held
 * the key while it was away, so it takes a number of its own, not just the
 * next: 3 or more, depending on the members it can name; see core's
 * README.) a's PostgreSQL still
 * runs on timeline 2 with rows c never had, and its restarted agent
 * remembers nothing: nothing in its memory or data directory says it was a
 * primary, and `/history` has no line for timeline 2 (nobody promoted off
 * it). PostgreSQL cannot follow timeline 3 from there ("not a child"), so
 * pointing it at c leaves a replica that never streams and serves rows the
 * cluster lost. The agent asks c for its timeline history over a
 * replication connection (as Patroni does), finds timeline 2 missing from it
 * and rewinds. Without the question it followed c and never streamed.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgwardenCluster, waitUntil, type PgwardenCluster, type PgwardenMember } from '@pgwarden/testkit';
import { knownMembersPath } from '../../src/adapters/known-members-file.js';
import { isInRecovery, leaderKey, query, rowCount, streamsFrom, transcripts, writeTimeline } from './helpers.js';

describe('a replica on a timeline the new leader never had', () => {
  let cluster: PgwardenCluster;

  beforeAll(async () => {
    cluster = await startPgwardenCluster({ size: 3, ttl: 5, loopWait: 1, retryTimeout: 1 });
    await cluster.waitForLeader({ timeoutMs: 90_000 });
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 90_000 });
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  it('is found diverged from the leader\'s own history and rewound, not left pointing at a timeline it cannot follow', async () => {
    const a = (await cluster.waitForLeader())!;
    const [b, c] = cluster.members.filter((member) => member !== a) as [PgwardenMember, PgwardenMember];
    await query(a, 'CREATE TABLE marks (id int)');
    await waitUntil(async () => (await rowCount(c, 'marks')) === 0 && (await rowCount(b, 'marks')) === 0, { timeoutMs: 30_000, what: 'the table on the replicas' });

    // c stops on timeline 1.
    await c.kill();
    await c.killPostmaster('SIGINT');
    await waitUntil(() => c.postmasterPid() === undefined, { timeoutMs: 30_000, what: `${c.name}'s PostgreSQL to stop` });

    // b becomes primary on timeline 2; a follows it there and replays rows c never sees.
    const answer = await a.request('POST', '/switchover', { leader: a.name, candidate: b.name });
    expect(answer.status, `${answer.body}\n${transcripts(cluster.members)}`).toBe(200);
    await waitUntil(async () => (await isInRecovery(b)) === false, { timeoutMs: 60_000, what: `${b.name} to be primary` });
    await query(b, 'INSERT INTO marks SELECT generate_series(1, 10)');
    // A checkpoint on timeline 2 that a replays: pg_rewind (15) follows the target's history from
    // its last checkpoint's timeline, and one still on 1 makes it read past 1's end and fail.
    await query(b, 'CHECKPOINT');
    const [{ lsn } = { lsn: '' }] = await query<{ lsn: string }>(b, 'SELECT pg_current_wal_lsn()::text AS lsn');
    await waitUntil(
      async () => (await streamsFrom(b, a)) && (await rowCount(a, 'marks')) === 10 && (await query<{ done: boolean }>(a, 'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [lsn]))[0]?.done === true,
      { timeoutMs: 60_000, what: `${a.name} streaming the rows and the checkpoint from ${b.name}` },
    );
    expect(await writeTimeline(b)).toBe(2);

    await a.kill();
    await b.kill();
    await b.killPostmaster('SIGKILL');
    expect(a.running()).toBe(false);
    expect(b.running()).toBe(false);
    expect(b.postmasterPid()).toBeUndefined();

    // c starts once b's key has expired (on a slow machine a start that took longer than the ttl
    // made it so anyway, and the number c takes depends on it): alone, it takes over from
    // timeline 1 past 2, which /history shows as used.
    await waitUntil(async () => (await leaderKey(cluster)) === undefined, { timeoutMs: 30_000, what: `${b.name}'s leader key to expire` });
    // c's first agent kept the member names it saw beside its data directory: the new one, finding
    // no key but its own, ranks itself among them.
    expect(JSON.parse(readFileSync(knownMembersPath(c.dataDir), 'utf8'))).toEqual(cluster.members.map((member) => member.name).sort());
    await c.start();
    await waitUntil(async () => (await isInRecovery(c)) === false, { timeoutMs: 90_000, what: () => `${c.name} to take over\n${transcripts([c])}` });
    const timeline = await waitUntil(async () => {
      const now = await writeTimeline(c);
      return now > 1 ? now : undefined;
    }, { timeoutMs: 10_000, what: `${c.name} writing on its new timeline` });
    expect(timeline, transcripts([c])).toBeGreaterThan(2);
    // /history says the cluster is on c's timeline: c's history file ends with 1's line, so one
    // more line, for c's timeline − 1 at the LSN where c left timeline 1, is marked skipped.
    let history: unknown[][] = [];
    await waitUntil(async () => {
      const lines = (await c.request('GET', '/history')).json() as unknown[][];
      history = lines;
      return lines.length === 2 && lines[0]?.[0] === 1 && lines[1]?.[0] === timeline - 1 && lines[1]?.[1] === lines[0]?.[1] && lines[1]?.[2] === 'skipped: used by another member';
    }, { timeoutMs: 10_000, what: () => `/history with timeline ${timeline - 1} marked skipped (now ${JSON.stringify(history)})` });
    // The fault is real: a still runs on timeline 2 with the rows only b and a had.
    expect(await isInRecovery(a)).toBe(true);
    expect(await rowCount(a, 'marks')).toBe(10);
    expect(await rowCount(c, 'marks')).toBe(0);

    await a.start();
    await waitUntil(async () => (await streamsFrom(c, a)) && (await rowCount(a, 'marks')) === 0, {
      timeoutMs: 90_000,
      what: () => `${a.name} rewound and streaming from ${c.name}\n${transcripts([a], 150)}`,
    });
    expect(a.output()).toMatch(/timeline 2 is not in the leader's history/);
    expect(a.output()).toMatch(/running pg_rewind from/);
    await query(c, 'INSERT INTO marks SELECT generate_series(1, 5)');
    await waitUntil(async () => (await rowCount(a, 'marks')) === 5, { timeoutMs: 30_000, what: `${a.name} replaying ${c.name}'s rows` });
    expect((await a.request('GET', '/replica')).status).toBe(200);
  }, 300_000);
});
