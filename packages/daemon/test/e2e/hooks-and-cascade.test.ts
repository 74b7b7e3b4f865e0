/**
 * Settings Patroni users rely on, end to end on PostgreSQL 15 and etcd:
 *
 * - a three-level cascade (node1 → node2 → node3, `replicatefrom: node2`)
 *   streams through slots, and node3 follows the leader once node2 is gone;
 * - `ignore_slots`: a physical slot it matches survives on the leader, an
 *   unknown one is dropped;
 * - `pre_promote` exiting 1 stops the promotion of the switchover candidate
 *   and another member takes over;
 * - `before_stop` runs before the stop of a demotion and of a shutdown.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgwardenCluster, waitUntil, type PgwardenCluster, type PgwardenMember } from '@pgwarden/testkit';
import { isInRecovery, query, transcripts } from './helpers.js';

describe('hooks, ignore_slots and cascading replication', () => {
  let cluster: PgwardenCluster;
  let hooks: string;
  const marker = (name: string, hook: string): string => join(hooks, `${hook}-${name}.log`);
  const runs = (name: string, hook: string): number => (existsSync(marker(name, hook)) ? readFileSync(marker(name, hook), 'utf8').split('\n').filter(Boolean).length : 0);

  async function sender(member: PgwardenMember): Promise<number | undefined> {
    const rows = await query<{ port: number | null; status: string }>(member, 'SELECT sender_port AS port, status FROM pg_catalog.pg_stat_wal_receiver').catch(() => []);
    return rows[0]?.status === 'streaming' ? (rows[0].port ?? undefined) : undefined;
  }

  beforeAll(async () => {
    hooks = mkdtempSync(join(tmpdir(), 'pgwarden-hooks-'));
    chmodSync(hooks, 0o777);
    for (const hook of ['pre_promote', 'before_stop']) {
      const script = join(hooks, `${hook}.sh`);
      // Each run appends a line to the member's log; pre_promote then refuses (exit 1).
      writeFileSync(script, `#!/bin/sh\necho "$(date +%s) $*" >> "${hooks}/${hook}-$1.log"\n${hook === 'pre_promote' ? 'exit 1\n' : 'exit 0\n'}`);
      chmodSync(script, 0o755);
    }
    cluster = await startPgwardenCluster({
      size: 3,
      start: 'none',
      dcs: { ignore_slots: [{ name: 'barman', type: 'physical' }] },
      configure: (name, config) => {
        const postgresql = config['postgresql'] as Record<string, unknown>;
        postgresql['before_stop'] = `${join(hooks, 'before_stop.sh')} ${name}`;
        if (name === 'node2') postgresql['pre_promote'] = `${join(hooks, 'pre_promote.sh')} ${name}`;
        if (name === 'node3') config['tags'] = { ...((config['tags'] as Record<string, unknown>) ?? {}), replicatefrom: 'node2' };
        return config;
      },
    });
    const [node1, node2, node3] = cluster.members as [PgwardenMember, PgwardenMember, PgwardenMember];
    await node1.start();
    await waitUntil(async () => (await isInRecovery(node1)) === false, { timeoutMs: 90_000, what: () => `node1 to bootstrap\n${transcripts(cluster.members)}` });
    await node2.start();
    await node3.start();
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 120_000 });
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop();
    rmSync(hooks, { recursive: true, force: true });
  }, 120_000);

  it('a three-level cascade streams through slots, and the cascaded replica falls back to the leader when its upstream is gone', async () => {
    const [node1, node2, node3] = cluster.members as [PgwardenMember, PgwardenMember, PgwardenMember];
    await waitUntil(async () => (await sender(node3)) === node2.pgPort, { timeoutMs: 60_000, what: () => `node3 streaming from node2\n${transcripts(cluster.members)}` });
    expect(await sender(node2)).toBe(node1.pgPort);
    // Each upstream holds the slot of the member it serves, in use.
    await waitUntil(async () => (await query<{ active: boolean }>(node2, "SELECT active FROM pg_catalog.pg_replication_slots WHERE slot_name = 'node3'"))[0]?.active === true, { timeoutMs: 30_000, what: 'node3 slot active on node2' });
    expect((await query<{ active: boolean }>(node1, "SELECT active FROM pg_catalog.pg_replication_slots WHERE slot_name = 'node2'"))[0]?.active).toBe(true);
    expect((await query<{ slot: string }>(node3, 'SHOW primary_slot_name'))[0]).toEqual({ primary_slot_name: 'node3' });
    await query(node1, 'CREATE TABLE cascade_marks (label text PRIMARY KEY)');
    await query(node1, "INSERT INTO cascade_marks VALUES ('three levels')");
    await waitUntil(async () => (await query(node3, "SELECT 1 FROM cascade_marks WHERE label = 'three levels'").catch(() => [])).length === 1, { timeoutMs: 30_000, what: 'the row on node3' });

    // node2 disappears (agent and postmaster killed); once its member key expires node3 follows the leader.
    await node2.kill();
    await node2.killPostmaster('SIGKILL');
    expect(node2.running()).toBe(false);
    expect(node2.postmasterPid()).toBeUndefined();
    await waitUntil(async () => (await sender(node3)) === node1.pgPort, { timeoutMs: 90_000, what: () => `node3 streaming from node1\n${transcripts(cluster.members)}` });
    await query(node1, "INSERT INTO cascade_marks VALUES ('after the upstream left')");
    await waitUntil(async () => (await query(node3, "SELECT 1 FROM cascade_marks WHERE label = 'after the upstream left'").catch(() => [])).length === 1, { timeoutMs: 30_000, what: 'the row on node3 from the leader' });

    await node2.start();
    await waitUntil(async () => (await sender(node3)) === node2.pgPort, { timeoutMs: 90_000, what: () => `node3 back on node2\n${transcripts(cluster.members)}` });
  }, 300_000);

  it('ignore_slots: the leader keeps a slot it matches and drops an unknown one', async () => {
    const leader = await cluster.waitForLeader();
    await query(leader, "SELECT pg_catalog.pg_create_physical_replication_slot('barman', true), pg_catalog.pg_create_physical_replication_slot('stray', true)");
    await waitUntil(async () => (await query(leader, "SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = 'stray'")).length === 0, { timeoutMs: 30_000, what: () => `the unknown slot dropped\n${transcripts(cluster.members)}` });
    expect((await query<{ slot_name: string }>(leader, "SELECT slot_name FROM pg_catalog.pg_replication_slots WHERE slot_name = 'barman'"))).toEqual([{ slot_name: 'barman' }]);
  }, 120_000);

  it('pre_promote exiting 1 stops the switchover candidate; another member takes over; before_stop ran for the demotion', async () => {
    const [node1, node2] = cluster.members as [PgwardenMember, PgwardenMember, PgwardenMember];
    expect((await cluster.waitForLeader()).name).toBe('node1');
    const stopsBefore = runs('node1', 'before_stop');
    const answer = await node1.request('POST', '/switchover', { leader: 'node1', candidate: 'node2' });
    await waitUntil(() => runs('node2', 'pre_promote') >= 1, { timeoutMs: 60_000, what: () => `pre_promote on node2\n${transcripts(cluster.members)}` });
    const newLeader = await waitUntil(
      async () => {
        const leader = await cluster.leader();
        return leader !== undefined && leader.name !== 'node2' && (await isInRecovery(leader)) === false ? leader : undefined;
      },
      { timeoutMs: 120_000, what: () => `another member to take over\n${transcripts(cluster.members)}` },
    );
    expect(newLeader.name).not.toBe('node2');
    // Never "switched over to node2", which held the key only until its pre_promote failed. Its
    // refusal releases the key and then clears the request (Patroni's candidate clears it on taking
    // the lock): a poll that then finds nobody holding the key answers Patroni's "Switchover failed",
    // one that finds the member that took over after it names that member.
    const named = answer.status === 200 && answer.body === `Switched over to "${newLeader.name}" instead of "node2"`;
    const failed = answer.status === 503 && answer.body === 'Switchover failed';
    expect(named || failed, `${answer.status} ${answer.body}`).toBe(true);
    expect(await isInRecovery(node2)).toBe(true);
    await query(newLeader, "INSERT INTO cascade_marks VALUES ('after the refused promotion')");
    expect(node2.output()).toMatch(/pre_promote/);
    // The demotion of node1 stopped PostgreSQL: before_stop ran first.
    expect(runs('node1', 'before_stop')).toBeGreaterThan(stopsBefore);
  }, 240_000);

  it('before_stop runs when the agent shuts PostgreSQL down', async () => {
    const node3 = cluster.member('node3');
    const stopsBefore = runs('node3', 'before_stop');
    await node3.stop();
    expect(node3.postmasterPid()).toBeUndefined();
    expect(runs('node3', 'before_stop')).toBe(stopsBefore + 1);
  }, 120_000);
});
