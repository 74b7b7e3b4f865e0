/**
 * A replica whose history diverges while the cluster is paused. pg_rewind
 * could repair it, but nothing repairs anything in pause, so until the
 * resume its PostgreSQL answers reads from rows the cluster no longer has.
 * Its replica checks fail meanwhile, as a member's that nothing can repair
 * do; the resume rewinds it. Before, a paused cycle judged nothing and
 * `/replica` answered 200 throughout.
 *
 * The divergence is made: in pause the leader's agent is SIGKILLed (its
 * PostgreSQL keeps running and the third member keeps streaming from it),
 * the leader key expires, an operator failover promotes the second member,
 * and the old primary takes rows that the third receives and the new
 * primary never sees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgwardenCluster, waitUntil, type PgwardenCluster, type PgwardenMember } from '@pgwarden/testkit';
import { isInRecovery, query, rowCount, setPause, statusCode, streamsFrom, transcripts } from './helpers.js';

/** The member names in `GET /cluster` of `via` (a member whose key expired is gone from it). */
async function clusterMembers(via: PgwardenMember): Promise<string[] | undefined> {
  const answer = await via.request('GET', '/cluster').catch(() => undefined);
  if (answer?.status !== 200) return undefined;
  const body = JSON.parse(answer.body) as { members?: { name: string }[] };
  return (body.members ?? []).map((member) => member.name);
}

describe('a replica diverged while the cluster is paused', () => {
  let cluster: PgwardenCluster;

  beforeAll(async () => {
    cluster = await startPgwardenCluster({ size: 3, ttl: 5, loopWait: 1, retryTimeout: 1 });
    await cluster.waitForLeader({ timeoutMs: 90_000 });
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 90_000 });
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  it('fails its replica checks until the resume, which rewinds it', async () => {
    const oldPrimary = (await cluster.waitForLeader())!;
    const [candidate, replica] = cluster.members.filter((member) => member !== oldPrimary) as [PgwardenMember, PgwardenMember];
    await query(oldPrimary, 'CREATE TABLE rows (id int)');
    await query(oldPrimary, 'INSERT INTO rows SELECT generate_series(1, 100)');
    await waitUntil(async () => (await rowCount(candidate, 'rows')) === 100 && (await rowCount(replica, 'rows')) === 100, { timeoutMs: 30_000, what: 'the rows on both replicas' });

    await setPause(cluster, oldPrimary, true);
    await oldPrimary.kill();
    expect(oldPrimary.running()).toBe(false);
    await waitUntil(async () => (await clusterMembers(candidate))?.includes(oldPrimary.name) === false, { timeoutMs: 30_000, what: `${oldPrimary.name}'s keys to expire` });

    const failover = await candidate.request('POST', '/failover', { candidate: candidate.name });
    expect(failover.status, failover.body).toBe(200);
    await waitUntil(async () => (await isInRecovery(candidate)) === false, { timeoutMs: 30_000, what: () => `${candidate.name} to promote\n${transcripts([candidate])}` });

    // The fault is real: the old primary still takes writes, the third member receives them, the new primary lacks them.
    expect(await isInRecovery(oldPrimary)).toBe(false);
    await query(oldPrimary, 'INSERT INTO rows SELECT generate_series(101, 1100)');
    await waitUntil(async () => (await rowCount(replica, 'rows')) === 1100, { timeoutMs: 30_000, what: `${replica.name} to receive the old primary's rows` });
    expect(await streamsFrom(oldPrimary, replica)).toBe(true);
    expect(await rowCount(candidate, 'rows')).toBe(100);

    await waitUntil(async () => (await statusCode(replica, '/replica')) === 503, { timeoutMs: 30_000, what: () => `${replica.name}'s /replica to fail\n${transcripts([replica])}` });
    for (const path of ['/read-only', '/readiness']) expect(await statusCode(replica, path), path).toBe(503);
    expect(await statusCode(replica, '/health')).toBe(200);
    expect(replica.output()).toMatch(/paused-diverged/);
    // Nothing moved in pause: it still runs as a standby of the old primary.
    expect(await isInRecovery(replica)).toBe(true);
    expect(await streamsFrom(oldPrimary, replica)).toBe(true);

    // The operator ends the old primary, then resumes: pg_rewind repairs the replica.
    await oldPrimary.killPostmaster('SIGKILL');
    const resumed = await candidate.request('PATCH', '/config', { pause: false });
    expect(resumed.status, resumed.body).toBe(200);
    await waitUntil(async () => (await streamsFrom(candidate, replica)) && (await rowCount(replica, 'rows')) === 100 && (await statusCode(replica, '/replica')) === 200, {
      timeoutMs: 90_000,
      what: () => `${replica.name} rewound and streaming from ${candidate.name}\n${transcripts([replica])}`,
    });
    expect(replica.output()).toMatch(/pg_rewind/);
  }, 240_000);
});
