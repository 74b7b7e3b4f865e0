/**
 * synchronous_mode: quorum on real PostgreSQL 15 and etcd, four members,
 * synchronous_node_count 2: PostgreSQL waits for `ANY 2` of the three
 * standbys, `/sync` names them as voters with quorum 1. A writer commits
 * continuously; the primary and standbys are killed (agent and postmaster,
 * SIGKILL) at once. With one standby gone the better of the other two is
 * promoted; with two gone the last one cannot prove it holds every
 * acknowledged commit and is never promoted — until a voter comes back.
 * Nothing acknowledged is ever missing on the new primary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgwardenCluster, waitUntil, type PgwardenCluster, type PgwardenMember } from '@pgwarden/testkit';
import { clusterWriter, isInRecovery, missingWrites, query, transcripts } from './helpers.js';
import type { ReadWriteWriter } from './writer.js';

interface SyncKey {
  readonly leader?: string;
  readonly sync_standby?: string | null;
  readonly quorum?: number | null;
}

/** `/sync` straight from etcd (v3 JSON gateway). */
async function readSyncKey(cluster: PgwardenCluster): Promise<SyncKey | undefined> {
  const key = Buffer.from(`${cluster.namespace.replace(/\/$/, '')}/${cluster.scope}/sync`).toString('base64');
  const answer = await fetch(`${cluster.etcd.endpoints[0]}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key }) }).catch(() => undefined);
  if (answer?.ok !== true) return undefined;
  const body = (await answer.json()) as { kvs?: Array<{ value: string }> };
  const value = body.kvs?.[0]?.value;
  return value === undefined ? undefined : (JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as SyncKey);
}

/** Until PostgreSQL waits for ANY 2 of the three standbys and `/sync` names them with quorum 1. */
async function waitForQuorumSteadyState(cluster: PgwardenCluster, leader: PgwardenMember): Promise<string[]> {
  const standbys = cluster.members.filter((member) => member.name !== leader.name).map((member) => member.name).sort();
  await waitUntil(
    async () => {
      const setting = (await query<{ value: string }>(leader, "SELECT current_setting('synchronous_standby_names') AS value").catch(() => []))[0]?.value;
      const quorumRows = await query<{ name: string }>(leader, "SELECT application_name AS name FROM pg_stat_replication WHERE sync_state = 'quorum'").catch(() => []);
      const sync = await readSyncKey(cluster);
      return (
        setting === `ANY 2 (${standbys.join(',')})` &&
        quorumRows.length === 3 &&
        sync?.leader === leader.name &&
        sync.quorum === 1 &&
        sync.sync_standby === standbys.join(',')
      );
    },
    { timeoutMs: 120_000, what: () => `ANY 2 of ${standbys.join(',')} in PostgreSQL and in /sync with quorum 1\n${transcripts(cluster.members, 15)}` },
  );
  return standbys;
}

async function killMember(member: PgwardenMember): Promise<void> {
  await member.kill();
  await member.killPostmaster('SIGKILL');
}

async function expectEveryAcknowledgedWrite(member: PgwardenMember, acknowledged: readonly number[]): Promise<void> {
  expect(acknowledged.length).toBeGreaterThan(0);
  expect(await missingWrites(member, 'quorum_writes', acknowledged)).toEqual([]);
}

describe('synchronous_mode: quorum, four members, synchronous_node_count 2', () => {
  let cluster: PgwardenCluster;

  beforeAll(async () => {
    cluster = await startPgwardenCluster({ size: 4, dcs: { synchronous_mode: 'quorum', synchronous_node_count: 2 } });
    const leader = await cluster.waitForLeader({ timeoutMs: 90_000 });
    await cluster.waitForStreamingReplicas(3, { timeoutMs: 120_000 });
    await query(leader, 'CREATE TABLE quorum_writes (id bigint PRIMARY KEY)');
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  const writer = (): ReadWriteWriter => clusterWriter(cluster, 'quorum_writes');

  it('reports the quorum standbys PostgreSQL waits for: REST roles, /quorum, /sync and /async', async () => {
    const leader = await cluster.waitForLeader();
    const standbys = await waitForQuorumSteadyState(cluster, leader);
    const body = (await leader.request('GET', '/cluster')).json<{ members: Array<{ name: string; role: string }> }>();
    expect(body.members.filter((member) => member.role === 'quorum_standby').map((member) => member.name).sort()).toEqual(standbys);
    const replica = cluster.member(standbys[0] ?? '');
    // A replica's API answers from the cluster view of its own last cycle: it sees the new /sync
    // within a loop_wait.
    await waitUntil(async () => (await replica.request('GET', '/quorum')).status === 200, { timeoutMs: 20_000, what: `${replica.name}'s /quorum to answer 200` });
    expect((await replica.request('GET', '/sync')).status).toBe(503);
    expect((await replica.request('GET', '/async')).status).toBe(503);
    expect((await leader.request('GET', '/quorum')).status).toBe(503);
    const metrics = (await replica.request('GET', '/metrics')).body;
    expect(metrics).toMatch(/^patroni_quorum_standby\{[^}]*\} 1$/m);
    expect(metrics).toMatch(/^patroni_sync_standby\{[^}]*\} 0$/m);
  }, 180_000);

  it('primary and one standby killed at once: a member holding every acknowledged write is promoted', async () => {
    const leader = await cluster.waitForLeader();
    const standbys = await waitForQuorumSteadyState(cluster, leader);
    const victim = cluster.member(standbys[0] ?? '');
    const load = writer();
    load.start();
    await waitUntil(() => load.count >= 100, { timeoutMs: 30_000, what: 'quorum-acknowledged writes' });
    await Promise.all([killMember(leader), killMember(victim)]);
    // The fault happened: neither agent nor postmaster of either is left.
    for (const member of [leader, victim]) {
      expect(member.running()).toBe(false);
      expect(member.postmasterPid()).toBeUndefined();
    }

    const newLeader = await cluster.waitForLeader({ exclude: leader.name, timeoutMs: 120_000 });
    expect([leader.name, victim.name]).not.toContain(newLeader.name);
    await waitUntil(async () => (await isInRecovery(newLeader)) === false, { timeoutMs: 30_000, what: 'the new primary to accept writes' });
    const before = load.count;
    await waitUntil(() => load.count >= before + 20, { timeoutMs: 60_000, what: () => `writes on the new primary\n${transcripts(cluster.members, 20)}` });
    const report = await load.stop();
    await expectEveryAcknowledgedWrite(newLeader, report.acknowledged);

    await Promise.all([leader.start(), victim.start()]);
    await cluster.waitForStreamingReplicas(3, { timeoutMs: 180_000 });
  }, 420_000);

  it('primary and two standbys killed: the last standby cannot prove it holds every write and is not promoted until a voter returns', async () => {
    const leader = await cluster.waitForLeader({ timeoutMs: 60_000 });
    const standbys = await waitForQuorumSteadyState(cluster, leader);
    const [first, second, survivorName] = standbys;
    const survivor = cluster.member(survivorName ?? '');
    const returning = cluster.member(first ?? '');
    const load = writer();
    load.start();
    await waitUntil(() => load.count >= 100, { timeoutMs: 30_000, what: 'quorum-acknowledged writes' });
    await Promise.all([killMember(leader), killMember(returning), killMember(cluster.member(second ?? ''))]);
    expect(survivor.postmasterPid()).toBeDefined();

    // Two ttls and more: the leader key is long gone, the survivor races and refuses, every cycle.
    const refusal = /quorum requirement 1 can not be reached/;
    const deadline = Date.now() + 50_000;
    while (Date.now() < deadline) {
      expect(await isInRecovery(survivor)).not.toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(survivor.output()).toMatch(refusal);
    expect(await cluster.leader()).toBeUndefined();

    // A voter comes back: together they prove where every acknowledged write is.
    await returning.start();
    const newLeader = await cluster.waitForLeader({ exclude: leader.name, timeoutMs: 120_000 });
    expect([survivor.name, returning.name]).toContain(newLeader.name);
    await waitUntil(async () => (await isInRecovery(newLeader)) === false, { timeoutMs: 30_000, what: 'the new primary to accept writes' });
    const before = load.count;
    await waitUntil(() => load.count >= before + 20, { timeoutMs: 60_000, what: () => `writes on the new primary\n${transcripts(cluster.members, 20)}` });
    const report = await load.stop();
    await expectEveryAcknowledgedWrite(newLeader, report.acknowledged);
  }, 420_000);
});
