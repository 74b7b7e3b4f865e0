/**
 * A standby cluster following a real remote primary (spec/ha-loop.md
 * §standby cluster): cluster `main` (two members) and cluster `standby`
 * (two members, same etcd, another scope) whose `standby_cluster` names
 * main's primary and a permanent slot there. The standby leader is cloned
 * with `standby_cluster.create_replica_methods` (a custom method that
 * records its run, then pg_basebackup), streams from main through the slot,
 * and its replica cascades from it; nothing in `standby` accepts writes.
 * Removing the section (`PATCH /config {"standby_cluster": null}`, what
 * `patronictl edit-config` and 4.x `promote-cluster` do) promotes it to a
 * normal cluster; `main` is unaffected.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgwardenCluster, waitUntil, type PgwardenCluster, type PgwardenMember } from '@pgwarden/testkit';
import { isInRecovery, query, transcripts } from './helpers.js';

const SLOT = 'standby_cluster';

async function senderPort(member: PgwardenMember): Promise<number | undefined> {
  const rows = await query<{ port: number | null; status: string }>(member, 'SELECT sender_port AS port, status FROM pg_catalog.pg_stat_wal_receiver').catch(() => []);
  return rows[0]?.status === 'streaming' ? (rows[0].port ?? undefined) : undefined;
}

async function has(member: PgwardenMember, label: string): Promise<boolean> {
  return (await query(member, 'SELECT 1 FROM standby_marks WHERE label = $1', [label]).catch(() => [])).length === 1;
}

describe('a standby cluster following a remote primary', () => {
  let main: PgwardenCluster;
  let standby: PgwardenCluster;
  let hooks: string;

  beforeAll(async () => {
    hooks = mkdtempSync(join(tmpdir(), 'pgwarden-standby-'));
    chmodSync(hooks, 0o777);
    // A custom replica method that records its run and fails: the next method (basebackup) then clones.
    const method = join(hooks, 'recorded_method.sh');
    writeFileSync(method, `#!/bin/sh\necho "$*" >> "${hooks}/recorded_method.log"\nexit 1\n`);
    chmodSync(method, 0o755);
    main = await startPgwardenCluster({ size: 2, scope: 'main', dcs: { slots: { [SLOT]: { type: 'physical' } } } });
    const primary = await main.waitForLeader({ timeoutMs: 90_000 });
    await main.waitForStreamingReplicas(1, { timeoutMs: 90_000 });
    await query(primary, 'CREATE TABLE standby_marks (label text PRIMARY KEY)');
    await query(primary, "INSERT INTO standby_marks VALUES ('before the standby cluster')");
    standby = await startPgwardenCluster({
      size: 2,
      scope: 'standby',
      etcd: main.etcd,
      dcs: { standby_cluster: { host: '127.0.0.1', port: primary.pgPort, primary_slot_name: SLOT, create_replica_methods: ['recorded_method', 'basebackup'] } },
      configure: (_name, config) => {
        const postgresql = config['postgresql'] as Record<string, unknown>;
        postgresql['recorded_method'] = { command: method };
        return config;
      },
    });
  }, 240_000);

  afterAll(async () => {
    await standby?.stop();
    await main?.stop();
    rmSync(hooks, { recursive: true, force: true });
  }, 120_000);

  it('follows the remote primary through its slot, cascades to its replica, and takes no writes', async () => {
    const primary = await main.waitForLeader();
    const standbyLeader = await waitUntil(
      async () => {
        for (const member of standby.members) {
          const answer = await member.request('GET', '/standby-leader').catch(() => undefined);
          if (answer?.status === 200) return member;
        }
        return undefined;
      },
      { timeoutMs: 120_000, what: 'a standby leader' },
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${transcripts(standby.members, 60)}`);
    });
    const standbyReplica = standby.members.find((member) => member.name !== standbyLeader.name) as PgwardenMember;
    expect((await standbyLeader.status())?.['role']).toBe('standby_leader');
    expect((await standbyReplica.request('GET', '/standby-leader')).status).toBe(503);

    await waitUntil(async () => (await senderPort(standbyLeader)) === primary.pgPort, { timeoutMs: 60_000, what: () => `the standby leader streaming from main\n${transcripts(standby.members)}` });
    expect(await query(standbyLeader, 'SELECT setting FROM pg_catalog.pg_settings WHERE name = $1', ['primary_slot_name'])).toEqual([{ setting: SLOT }]);
    const slot = await query<{ active: boolean }>(primary, 'SELECT active FROM pg_catalog.pg_replication_slots WHERE slot_name = $1', [SLOT]);
    expect(slot).toEqual([{ active: true }]);
    await waitUntil(async () => (await senderPort(standbyReplica)) === standbyLeader.pgPort, { timeoutMs: 90_000, what: () => `the standby replica cascading from the standby leader\n${transcripts(standby.members)}` });

    // Both were cloned with standby_cluster.create_replica_methods (postgresql.create_replica_methods is the
    // default [basebackup] here): the custom method ran first for each, the leader's from main's primary, the
    // replica's from the standby leader (Patroni's get_remote_member keeps the chosen member's address).
    const runs = readFileSync(join(hooks, 'recorded_method.log'), 'utf8').trim().split('\n');
    expect(runs).toHaveLength(2);
    expect(runs.every((line) => line.includes('--scope=standby') && line.includes('--role=replica'))).toBe(true);
    expect(runs.filter((line) => new RegExp(`port=${primary.pgPort}\\b`).test(line))).toHaveLength(1);
    expect(runs.filter((line) => new RegExp(`port=${standbyLeader.pgPort}\\b`).test(line))).toHaveLength(1);

    await query(primary, "INSERT INTO standby_marks VALUES ('while following')");
    for (const member of standby.members) {
      await waitUntil(() => has(member, 'while following'), { timeoutMs: 30_000, what: `the row on ${member.name}` });
      expect(await has(member, 'before the standby cluster')).toBe(true);
      expect(await isInRecovery(member)).toBe(true);
      await expect(query(member, "INSERT INTO standby_marks VALUES ('refused')")).rejects.toThrow(/read-only/);
    }
    expect((await standbyLeader.request('GET', '/primary')).status).toBe(503);
  }, 240_000);

  it('is promoted to a normal cluster when the section is removed; the main cluster is unaffected', async () => {
    const primary = await main.waitForLeader();
    const leaderNow = await waitUntil(
      async () => {
        for (const member of standby.members) if ((await member.request('GET', '/standby-leader').catch(() => undefined))?.status === 200) return member;
        return undefined;
      },
      { timeoutMs: 30_000, what: 'the standby leader' },
    );
    const patched = await leaderNow.request('PATCH', '/config', { standby_cluster: null });
    expect(patched.status).toBe(200);
    const promoted = await standby.waitForLeader({ timeoutMs: 90_000 });
    expect(promoted.name).toBe(leaderNow.name);
    await waitUntil(async () => (await isInRecovery(promoted)) === false, { timeoutMs: 30_000, what: () => `the promoted standby leader to accept writes\n${transcripts(standby.members)}` });
    await query(promoted, "INSERT INTO standby_marks VALUES ('written in the promoted cluster')");
    const replica = standby.members.find((member) => member.name !== promoted.name) as PgwardenMember;
    await waitUntil(() => has(replica, 'written in the promoted cluster'), { timeoutMs: 60_000, what: () => `the promoted cluster's replica to follow it\n${transcripts(standby.members)}` });
    expect(await senderPort(replica)).toBe(promoted.pgPort);

    // main still runs its own primary and never saw the promoted cluster's row.
    expect(await isInRecovery(primary)).toBe(false);
    await query(primary, "INSERT INTO standby_marks VALUES ('main after the promotion')");
    expect(await has(primary, 'written in the promoted cluster')).toBe(false);
    expect((await main.waitForLeader()).name).toBe(primary.name);
    await main.waitForStreamingReplicas(1, { timeoutMs: 30_000 });
    // The promoted cluster no longer streams from main: the slot it used is idle.
    await waitUntil(async () => (await query<{ active: boolean }>(primary, 'SELECT active FROM pg_catalog.pg_replication_slots WHERE slot_name = $1', [SLOT]))[0]?.active === false, { timeoutMs: 30_000, what: 'main\'s slot for the standby cluster to be idle' });
  }, 240_000);
});
