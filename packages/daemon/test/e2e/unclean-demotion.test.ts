/**
 * A switchover whose PostgreSQL does not shut down cleanly. The leader's
 * checkpointer is frozen (SIGSTOP), so neither the CHECKPOINT before the stop
 * nor the shutdown checkpoint can finish: the fast stop runs out of
 * pg_ctl_timeout and escalates to SIGQUIT, and pg_control is left "in
 * production", naming the last checkpoint that did complete, minutes of WAL
 * back.
 *
 * That checkpoint is no final position: the former leader must release its
 * key without one (the last renewal's `/status` stays) and hand nothing over,
 * since the walsenders never shipped the end of its WAL. The candidate then
 * takes over as the race allows, with every acknowledged write, and the
 * former leader rejoins. Before the fix the key went to the candidate with
 * that old checkpoint as `/status`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processState, startPgwardenCluster, waitUntil, type PgwardenCluster } from '@pgwarden/testkit';
import { query, streamsFrom, switchoverUnderWrites, transcripts } from './helpers.js';

const TABLE = 'unclean_demotion_writes';

describe('a switchover whose PostgreSQL does not shut down cleanly', () => {
  let cluster: PgwardenCluster;
  let frozen: number | undefined;

  beforeAll(async () => {
    cluster = await startPgwardenCluster({
      size: 2,
      ttl: 20,
      loopWait: 2,
      retryTimeout: 5,
      configure: (_name, config) => ({ ...config, postgresql: { ...(config['postgresql'] as object), pg_ctl_timeout: 3 } }),
    });
    const leader = await cluster.waitForLeader({ timeoutMs: 60_000 });
    await cluster.waitForStreamingReplicas(1, { timeoutMs: 60_000 });
    await query(leader, `CREATE TABLE ${TABLE} (id bigint PRIMARY KEY)`);
  }, 120_000);

  afterAll(async () => {
    // The checkpointer we froze, if the test stopped before its postmaster was killed.
    if (frozen !== undefined && processState(frozen) === 'T') process.kill(frozen, 'SIGCONT');
    await cluster?.stop();
  }, 60_000);

  it('releases the key without a position and hands nothing over; the candidate takes over with every acknowledged write', async () => {
    const { leader, candidate, missing } = await switchoverUnderWrites(cluster, TABLE, {
      fault: async (leader) => {
        const [checkpointer] = await query<{ pid: number }>(leader, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'");
        expect(checkpointer?.pid).toBeGreaterThan(0);
        frozen = checkpointer!.pid;
        process.kill(frozen, 'SIGSTOP');
        // The fault happened: the checkpointer is stopped. The signal is delivered asynchronously, so a
        // checkpointer busy on the other core may still read 'R' for a moment.
        const pid = frozen;
        await waitUntil(() => processState(pid) === 'T', { timeoutMs: 5000, intervalMs: 10, what: `checkpointer ${pid} stopped by SIGSTOP` });
      },
      // The API waits 2 × max(10 s, loop_wait) for the outcome; the stop takes ~9 s here (200,
      // "Successfully switched over"). Past the wait it must say where the switchover stands (INCIDENTS #8).
      answered: (answer) => expect(answer.status === 200 || (answer.status === 503 && /status unknown: \S/.test(answer.body)), `${answer.status} ${answer.body}\n${transcripts(cluster.members)}`).toBe(true),
      promoted: (leader) => {
        // The stop did escalate: the frozen checkpointer died with its postmaster (a zombie until its
        // new parent reaps it), and the agent said why.
        expect([undefined, 'Z'], transcripts(cluster.members)).toContain(processState(frozen!));
        const output = leader.output();
        expect(output, transcripts(cluster.members)).toMatch(/did not stop in time; escalating to immediate/);
        expect(output, transcripts(cluster.members)).toMatch(/PostgreSQL did not shut down cleanly; releasing the leader key without a final position or a hand-over/);
        expect(output, transcripts(cluster.members)).not.toMatch(/leader key handed over to the switchover candidate/);
        const released = output.split('\n').find((line) => line.includes('leader key released after demotion'));
        expect(released, transcripts(cluster.members)).toBeDefined();
        expect((JSON.parse(released!) as { lastLsn?: unknown }).lastLsn).toBeUndefined();
      },
    });
    expect(missing, `acknowledged writes missing on ${candidate.name}`).toEqual([]);
    await waitUntil(() => streamsFrom(candidate, leader), { timeoutMs: 60_000, what: `${leader.name} to stream from ${candidate.name}` });
  }, 150_000);
});
