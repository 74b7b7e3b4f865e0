/**
 * One three-member cluster taken through the life an operator sees: a
 * planned switchover under write load, an unplanned failover (SIGKILL of
 * the leader's agent and postmaster), a postmaster crash with the agent
 * alive, maintenance mode, and a dynamic parameter change. The scenarios
 * run in order on the same cluster (each one starts from a healthy
 * cluster and leaves one), which keeps the suite within its time budget.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterPasswords, startPgwardenCluster, waitUntil, type PgwardenCluster, type PgwardenMember } from '@pgwarden/testkit';
import { isInRecovery, query, setPause, streamsFrom, transcripts } from './helpers.js';
import { ReadWriteWriter } from './writer.js';

const measurements: Record<string, number> = {};

/** Every member records its callbacks (`action role scope`, as Patroni passes them) in callbacks.log. */
function withCallbackRecorder(name: string, config: Record<string, unknown>): Record<string, unknown> {
  const postgresql = config['postgresql'] as Record<string, unknown>;
  const memberDir = dirname(String(postgresql['data_dir']));
  const script = join(memberDir, 'callback.sh');
  writeFileSync(script, `#!/bin/sh\necho "$1 $2 $3" >> ${join(memberDir, 'callbacks.log')}\n`, { mode: 0o755 });
  const callbacks = Object.fromEntries(['on_start', 'on_stop', 'on_restart', 'on_reload', 'on_role_change'].map((action) => [action, script]));
  return { ...config, postgresql: { ...postgresql, callbacks } };
}

function callbackLog(member: PgwardenMember): string {
  try {
    return readFileSync(join(dirname(member.dataDir), 'callbacks.log'), 'utf8');
  } catch {
    return '';
  }
}

async function healthy(cluster: PgwardenCluster): Promise<PgwardenMember> {
  const leader = await cluster.waitForLeader({ timeoutMs: 90_000 });
  await cluster.waitForStreamingReplicas(2, { timeoutMs: 90_000 });
  return leader;
}

describe('a three-member cluster through switchover, failover, crash, pause and a config change', () => {
  let cluster: PgwardenCluster;

  beforeAll(async () => {
    cluster = await startPgwardenCluster({ size: 3, ttl: 20, loopWait: 2, retryTimeout: 5, configure: withCallbackRecorder });
    const leader = await healthy(cluster);
    await query(leader, 'CREATE TABLE writes (id bigint PRIMARY KEY, at timestamptz DEFAULT now())');
  }, 180_000);

  afterAll(async () => {
    console.log(`e2e measurements: ${JSON.stringify(measurements)}`);
    await cluster?.stop();
  }, 120_000);

  it('switches over to the named candidate without losing an acknowledged write; the old primary follows the new one', async () => {
    const oldLeader = await healthy(cluster);
    const candidate = cluster.members.find((member) => member !== oldLeader)!;
    const writer = new ReadWriteWriter(cluster.members.map((member) => ({ port: member.pgPort })), clusterPasswords.superuser && { user: clusterPasswords.superuser.username, password: clusterPasswords.superuser.password }, 'writes');
    writer.start();
    await waitUntil(() => writer.count >= 20, { timeoutMs: 10_000, what: 'writes before the switchover' });

    const answer = await oldLeader.request('POST', '/switchover', { leader: oldLeader.name, candidate: candidate.name });
    expect(answer.status, `${answer.body}\n${transcripts(cluster.members)}`).toBe(200);
    await waitUntil(async () => (await isInRecovery(candidate)) === false, { timeoutMs: 60_000, what: 'the candidate to be primary' });
    const countAtSwitch = writer.count;
    await waitUntil(() => writer.count >= countAtSwitch + 20, { timeoutMs: 30_000, what: 'writes on the new primary' });
    const report = await writer.stop();
    measurements['switchoverWriteUnavailableMs'] = report.longestGapMs;

    expect((await cluster.leader())?.name).toBe(candidate.name);
    const stored = new Set((await query<{ id: string }>(candidate, 'SELECT id FROM writes')).map((row) => Number(row.id)));
    const missing = report.acknowledged.filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
    await waitUntil(() => streamsFrom(candidate, oldLeader), { timeoutMs: 60_000, what: `${oldLeader.name} streaming from ${candidate.name}` });
    expect(await isInRecovery(oldLeader)).toBe(true);
    await waitUntil(() => callbackLog(candidate).includes(`on_role_change primary ${cluster.scope}`), { timeoutMs: 10_000, what: 'on_role_change primary on the candidate' });
    await waitUntil(() => callbackLog(oldLeader).includes(`on_role_change replica ${cluster.scope}`), { timeoutMs: 10_000, what: 'on_role_change replica on the old primary' });
  }, 180_000);

  it('fails over when the leader agent and its postmaster are SIGKILLed; the old leader rejoins as a replica', async () => {
    const oldLeader = await healthy(cluster);
    await query(oldLeader, "INSERT INTO writes (id) SELECT g FROM generate_series(100000, 100999) g");
    const startedAt = Date.now();
    await oldLeader.kill();
    await oldLeader.killPostmaster('SIGKILL');
    const newLeader = await cluster.waitForLeader({ exclude: oldLeader.name, timeoutMs: 90_000 });
    await waitUntil(async () => (await isInRecovery(newLeader)) === false, { timeoutMs: 30_000, what: 'a writable new primary' });
    measurements['sigkillFailoverTtl20Ms'] = Date.now() - startedAt;
    expect(newLeader.name).not.toBe(oldLeader.name);
    const rows = await query<{ n: string }>(newLeader, 'SELECT count(*) AS n FROM writes WHERE id >= 100000');
    expect(rows[0]?.n).toBe('1000');

    await oldLeader.start();
    await waitUntil(() => streamsFrom(newLeader, oldLeader), { timeoutMs: 120_000, what: () => `${oldLeader.name} streaming from ${newLeader.name}\n${transcripts([oldLeader])}` });
    expect(await isInRecovery(oldLeader)).toBe(true);
    await cluster.waitForStreamingReplicas(2);
  }, 240_000);

  it('restarts a crashed primary postmaster while the agent lives, with never two writable primaries', async () => {
    const leader = await healthy(cluster);
    const crashedPid = await leader.killPostmaster('SIGKILL');
    expect(crashedPid).toBeDefined();
    let writablePrimariesMax = 0;
    const recovered = await waitUntil(
      async () => {
        const writable = (await Promise.all(cluster.members.map(async (member) => ((await isInRecovery(member)) === false ? member : undefined)))).filter(
          (member): member is PgwardenMember => member !== undefined,
        );
        writablePrimariesMax = Math.max(writablePrimariesMax, writable.length);
        const pid = leader.postmasterPid();
        return writable.length === 1 && pid !== undefined && pid !== crashedPid ? writable[0] : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200, what: 'a writable primary after the crash' },
    );
    expect(writablePrimariesMax).toBe(1);
    expect(recovered.name).toBe(leader.name);
    await healthy(cluster);
  }, 180_000);

  it('while paused leaves a dead primary alone (no restart, no promotion); after resume the cluster heals', async () => {
    const leader = await healthy(cluster);
    await setPause(cluster, leader, true);
    await leader.killPostmaster('SIGKILL');
    // Four loop_waits and more: a restart or a promotion would have happened by now if the agents acted.
    const observeUntil = Date.now() + 10_000;
    while (Date.now() < observeUntil) {
      expect(leader.postmasterPid()).toBeUndefined();
      for (const member of cluster.members) {
        if (member !== leader) expect(await isInRecovery(member)).toBe(true);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const resumed = await cluster.members.find((member) => member !== leader)!.request('PATCH', '/config', { pause: false });
    expect(resumed.status, resumed.body).toBe(200);
    const healed = await healthy(cluster);
    expect(await isInRecovery(healed)).toBe(false);
  }, 240_000);

  it('applies a parameter changed through PATCH /config on every member', async () => {
    const leader = await healthy(cluster);
    const answer = await leader.request('PATCH', '/config', { postgresql: { parameters: { work_mem: '7MB' } } });
    expect(answer.status, answer.body).toBe(200);
    for (const member of cluster.members) {
      await waitUntil(async () => (await query<{ work_mem: string }>(member, 'SHOW work_mem').catch(() => []))[0]?.work_mem === '7MB', {
        timeoutMs: 30_000,
        what: `work_mem on ${member.name}`,
      });
    }
  }, 120_000);

  it('on SIGTERM the leader stops PostgreSQL and releases the lock: a replica takes over well before ttl', async () => {
    const leader = await healthy(cluster);
    const startedAt = Date.now();
    await leader.stop();
    expect(leader.postmasterPid()).toBeUndefined();
    const next = await cluster.waitForLeader({ exclude: leader.name, timeoutMs: 60_000 });
    await waitUntil(async () => (await isInRecovery(next)) === false, { timeoutMs: 30_000, what: 'a writable new primary' });
    measurements['sigtermHandoverMs'] = Date.now() - startedAt;
    // Without the release a replica could not take the lock before it expires (ttl 20 s after the last renewal).
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    expect(callbackLog(leader)).toContain(`on_stop primary ${cluster.scope}`);
    await leader.start();
    await waitUntil(() => streamsFrom(next, leader), { timeoutMs: 120_000, what: `${leader.name} rejoining` });
  }, 180_000);
});
