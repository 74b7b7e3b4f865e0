/**
 * A former primary whose history diverged and cannot be repaired
 * automatically (`use_pg_rewind: false`, no `remove_data_directory_on_*`):
 * its PostgreSQL runs as a standby that cannot follow the new primary and
 * answers reads from rows the cluster never kept. Its replica checks fail so
 * that a load balancer stops sending reads to it (Patroni keeps answering
 * 200), also in pause, `/health` still says PostgreSQL runs, and
 * `POST /reinitialize` repairs it.
 *
 * The divergence is made, not hoped for: in pause, the replica's PostgreSQL
 * is stopped, the primary takes rows only it has, then its agent and
 * postmaster are SIGKILLed; after resume the replica takes over without them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgwardenCluster, waitUntil, type PgwardenCluster, type PgwardenMember } from '@pgwarden/testkit';
import { isInRecovery, query, rowCount, setPause, statusCode, transcripts } from './helpers.js';

describe('a former primary diverged from the new one, pg_rewind off', () => {
  let cluster: PgwardenCluster;

  beforeAll(async () => {
    cluster = await startPgwardenCluster({ size: 2, ttl: 5, loopWait: 1, retryTimeout: 1, dcs: { postgresql: { use_pg_rewind: false } } });
    await cluster.waitForLeader({ timeoutMs: 90_000 });
    await cluster.waitForStreamingReplicas(1, { timeoutMs: 90_000 });
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  it('fails its replica checks while it serves a history the cluster lacks; POST /reinitialize repairs it', async () => {
    const oldPrimary = (await cluster.waitForLeader())!;
    const survivor = cluster.members.find((member) => member !== oldPrimary)!;
    await query(oldPrimary, 'CREATE TABLE rows (id int)');
    await query(oldPrimary, 'INSERT INTO rows SELECT generate_series(1, 100)');
    await waitUntil(async () => (await rowCount(survivor, 'rows')) === 100, { timeoutMs: 30_000, what: 'the rows on the replica' });

    await setPause(cluster, oldPrimary, true);
    await survivor.killPostmaster('SIGINT');
    await waitUntil(() => survivor.postmasterPid() === undefined, { timeoutMs: 30_000, what: `${survivor.name}'s PostgreSQL to stop` });
    await query(oldPrimary, 'INSERT INTO rows SELECT generate_series(101, 1100)');
    await query(oldPrimary, 'CHECKPOINT');
    await oldPrimary.kill();
    await oldPrimary.killPostmaster('SIGKILL');
    expect(oldPrimary.running()).toBe(false);
    expect(oldPrimary.postmasterPid()).toBeUndefined();

    const resumed = await survivor.request('PATCH', '/config', { pause: false });
    expect(resumed.status, resumed.body).toBe(200);
    await waitUntil(async () => (await isInRecovery(survivor)) === false, { timeoutMs: 60_000, what: `${survivor.name} to take over` });
    expect(await rowCount(survivor, 'rows')).toBe(100);

    await oldPrimary.start();
    await waitUntil(() => /not following a diverged timeline/.test(oldPrimary.output()), {
      timeoutMs: 60_000,
      what: () => `${oldPrimary.name} to find its history diverged\n${transcripts(cluster.members)}`,
    });
    // The fault is real: the old primary's PostgreSQL answers reads with the 1,000 rows only it took.
    await waitUntil(async () => (await rowCount(oldPrimary, 'rows')) === 1100, { timeoutMs: 30_000, what: `${oldPrimary.name} to answer reads` });
    expect(await isInRecovery(oldPrimary)).toBe(true);
    expect(await rowCount(survivor, 'rows')).toBe(100);

    await waitUntil(async () => (await statusCode(oldPrimary, '/health')) === 200, { timeoutMs: 10_000, what: `${oldPrimary.name}'s /health` });
    for (const path of ['/replica', '/read-only', '/async', '/readiness']) {
      expect(await statusCode(oldPrimary, path), `${path}\n${transcripts([oldPrimary])}`).toBe(503);
    }
    expect(await statusCode(survivor, '/primary')).toBe(200);

    // In pause nothing repairs it; the mark holds (core memory, and a paused cycle judges it again), so the checks keep failing.
    await setPause(cluster, survivor, true);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await statusCode(oldPrimary, '/replica'), transcripts([oldPrimary])).toBe(503);
    await setPause(cluster, survivor, false);

    const reinitialized = await oldPrimary.request('POST', '/reinitialize', {});
    expect(reinitialized.status, reinitialized.body).toBe(200);
    await waitUntil(async () => (await statusCode(oldPrimary, '/replica')) === 200 && (await rowCount(oldPrimary, 'rows')) === 100, {
      timeoutMs: 90_000,
      what: () => `${oldPrimary.name} re-cloned from ${survivor.name}\n${transcripts([oldPrimary])}`,
    });
    await cluster.waitForStreamingReplicas(1, { timeoutMs: 60_000 });
  }, 240_000);
});
