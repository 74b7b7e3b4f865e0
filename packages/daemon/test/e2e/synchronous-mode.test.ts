/**
 * synchronous_mode: a failover promotes the synchronous standby, and no
 * write acknowledged to the client (synchronous_commit on, so acknowledged
 * means on the sync standby too) is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgwardenCluster, waitUntil, type PgwardenCluster } from '@pgwarden/testkit';
import { clusterWriter, isInRecovery, missingWrites, query, transcripts } from './helpers.js';

describe('synchronous_mode on', () => {
  let cluster: PgwardenCluster;

  beforeAll(async () => {
    cluster = await startPgwardenCluster({ size: 3, dcs: { synchronous_mode: true } });
    const leader = await cluster.waitForLeader({ timeoutMs: 90_000 });
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 90_000 });
    await query(leader, 'CREATE TABLE sync_writes (id bigint PRIMARY KEY)');
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  it('fails over to the synchronous standby and keeps every acknowledged write', async () => {
    const leader = await cluster.waitForLeader();
    const syncName = await waitUntil(
      async () => {
        const rows = await query<{ application_name: string }>(leader, "SELECT application_name FROM pg_stat_replication WHERE sync_state = 'sync'");
        const body = (await leader.request('GET', '/cluster')).json<{ members: Array<{ name: string; role: string }> }>();
        const published = body.members.find((member) => member.role === 'sync_standby')?.name;
        return rows[0] !== undefined && published === rows[0].application_name ? published : undefined;
      },
      { timeoutMs: 60_000, what: 'a synchronous standby in PostgreSQL and in /sync' },
    );
    const syncStandby = cluster.member(syncName);

    const writer = clusterWriter(cluster, 'sync_writes');
    writer.start();
    await waitUntil(() => writer.count >= 50, { timeoutMs: 20_000, what: 'synchronous writes' });
    await leader.kill();
    await leader.killPostmaster('SIGKILL');
    const newLeader = await cluster.waitForLeader({ exclude: leader.name, timeoutMs: 90_000 });
    await waitUntil(async () => (await isInRecovery(newLeader)) === false, { timeoutMs: 30_000, what: 'the new primary to accept writes' });
    const countAfter = writer.count;
    await waitUntil(() => writer.count >= countAfter + 10, { timeoutMs: 30_000, what: () => `writes on the new primary\n${transcripts(cluster.members)}` });
    const report = await writer.stop();

    expect(newLeader.name).toBe(syncStandby.name);
    expect(await missingWrites(newLeader, 'sync_writes', report.acknowledged)).toEqual([]);

    await leader.start();
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 120_000 });
  }, 300_000);
});
