/**
 * A switchover to a candidate that is not streaming at the moment it is
 * asked for. Patroni 3.0.2 lost acknowledged writes this way in the
 * benchmark (bench/README.md): seconds after its bootstrap a standby waits
 * for a replication slot the leader creates a loop later, Patroni's
 * /cluster still says `running`, and a switchover promoted it without the
 * old primary's last writes. Here the candidate's slot is dropped on the
 * leader and its walsender terminated under a writing client, then the
 * switchover is asked for at once.
 *
 * pgwarden's leader must create the slot again, wait for the candidate to
 * stream from it, and only then demote: the candidate becomes primary and
 * every acknowledged write is on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgwardenCluster, waitUntil, type PgwardenCluster, type PgwardenMember } from '@pgwarden/testkit';
import { query, streamsFrom, switchoverUnderWrites, transcripts } from './helpers.js';

const TABLE = 'unstreamed_writes';

/** Terminate the candidate's walsender and drop its slot before its walreceiver comes back. */
async function cutStream(leader: PgwardenMember, candidate: PgwardenMember): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await query(leader, 'SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE application_name = $1', [candidate.name]);
    try {
      await query(leader, 'SELECT pg_drop_replication_slot($1)', [candidate.name]);
      return;
    } catch (error) {
      // 55006: the walsender holding the slot has not exited yet.
      if (attempt >= 200 || (error as { code?: string }).code !== '55006') throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

describe('a switchover to a candidate that does not stream', () => {
  let cluster: PgwardenCluster;

  beforeAll(async () => {
    cluster = await startPgwardenCluster({ size: 3, ttl: 20, loopWait: 2, retryTimeout: 5 });
    const leader = await cluster.waitForLeader({ timeoutMs: 60_000 });
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 60_000 });
    await query(leader, `CREATE TABLE ${TABLE} (id bigint PRIMARY KEY)`);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('waits for the candidate to stream before demoting, and loses no acknowledged write', async () => {
    const { leader, candidate, missing } = await switchoverUnderWrites(cluster, TABLE, {
      fault: async (leader, candidate) => {
        await cutStream(leader, candidate);
        // The fault happened: the candidate has no slot on the leader and does not stream from it.
        const slots = await query<{ slot_name: string }>(leader, 'SELECT slot_name FROM pg_replication_slots');
        expect(slots.map((row) => row.slot_name)).not.toContain(candidate.name);
        expect(await streamsFrom(leader, candidate)).toBe(false);
      },
      answered: (answer) => expect(answer.status, `${answer.body}\n${transcripts(cluster.members)}`).toBe(200),
      promoted: (leader, candidate) => {
        // The leader saw the candidate not streaming when it decided, and waited (the fault was in effect).
        expect(leader.output(), transcripts(cluster.members)).toMatch(new RegExp(`waiting for ${candidate.name} to stream from me before demoting`));
        // PostgreSQL shut down cleanly ("shut down" in pg_control), so the key went to the candidate
        // in the release itself, with the shutdown checkpoint as the final position.
        expect(leader.output(), transcripts(cluster.members)).toMatch(/leader key handed over to the switchover candidate after demotion/);
      },
    });
    expect(missing, `acknowledged writes missing on ${candidate.name}`).toEqual([]);
    await waitUntil(() => streamsFrom(candidate, leader), { timeoutMs: 30_000, what: `${leader.name} to stream from ${candidate.name}` });
    for (const member of cluster.members) expect(member.output(), transcripts(cluster.members)).not.toMatch(/running pg_rewind/);
  }, 90_000);
});
