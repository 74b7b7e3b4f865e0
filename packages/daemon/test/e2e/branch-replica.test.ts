/**
 * A replica on a timeline branch the new leader never had. Members a, b, c:
 * c stops on timeline 1; a switchover makes b primary on timeline 2 and a
 * streams from it; b takes rows; a's agent and then b (agent and postmaster)
 * are SIGKILLed; c, started again alone, takes over and promotes to
 * timeline 3, forked from timeline 1 where c stopped. a's PostgreSQL still
 * runs on timeline 2 with rows c never had, and its restarted agent
 * remembers nothing: nothing in its memory or data directory says it was a
 * primary, and `/history` has no line for timeline 2 (nobody promoted off
 * it). PostgreSQL cannot follow timeline 3 from there ("not a child"), so
 * pointing it at c leaves a replica that never streams and serves rows the
 * cluster lost. The agent asks c for its timeline history over a
 * replication connection (as Patroni does), finds timeline 2 missing from it
 * and rewinds. Without the question it followed c and never streamed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgwardenCluster, waitUntil, type PgwardenCluster, type PgwardenMember } from '@pgwarden/testkit';
import { isInRecovery, query, rowCount, streamsFrom, transcripts, writeTimeline } from './helpers.js';

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

    // c, alone, takes over from timeline 1 and promotes to 3 (2 is known to be used).
    await c.start();
    await waitUntil(async () => (await isInRecovery(c)) === false, { timeoutMs: 90_000, what: () => `${c.name} to take over\n${transcripts([c])}` });
    await waitUntil(async () => (await writeTimeline(c)) === 3, { timeoutMs: 10_000, what: `${c.name} on timeline 3` });
    // /history says the cluster is on 3: c's history file ends with 1's line, so c marks 2 as skipped.
    await waitUntil(async () => {
      const lines = (await c.request('GET', '/history')).json() as unknown[][];
      return lines.length === 2 && lines[0]?.[0] === 1 && lines[1]?.[0] === 2 && lines[1]?.[1] === lines[0]?.[1] && lines[1]?.[2] === 'skipped: used by another member';
    }, { timeoutMs: 10_000, what: `/history with timeline 2 marked skipped` });
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
