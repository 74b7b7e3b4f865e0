import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgwardenCluster, waitUntil, type PgwardenCluster } from '@pgwarden/testkit';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { query } from './helpers.js';

describe('bootstrap from an empty DCS and empty data directories', () => {
  let cluster: PgwardenCluster;

  beforeAll(async () => {
    cluster = await startPgwardenCluster({
      size: 3,
      // pgwarden extension: node1 keeps a haproxy.cfg current from the cluster.
      configure: (name, config) =>
        name === 'node1' ? { ...config, haproxy: { configFile: join(dirname(String((config['postgresql'] as { data_dir: string }).data_dir)), 'haproxy.cfg'), reload: { method: 'none' } } } : config,
    });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  it('elects one primary and the two others stream from it', async () => {
    const leader = await cluster.waitForLeader({ timeoutMs: 90_000 });
    const replicas = await cluster.waitForStreamingReplicas(2, { timeoutMs: 90_000 });
    expect(replicas.map((member) => member.name).sort()).toEqual(cluster.members.filter((member) => member !== leader).map((member) => member.name).sort());

    const senders = await query<{ application_name: string; state: string }>(leader, 'SELECT application_name, state FROM pg_stat_replication ORDER BY 1');
    expect(senders.map((row) => row.application_name)).toEqual(replicas.map((member) => member.name).sort());
    expect(senders.every((row) => row.state === 'streaming')).toBe(true);

    await query(leader, 'CREATE TABLE bootstrap_check (id int primary key)');
    await query(leader, 'INSERT INTO bootstrap_check VALUES (1)');
    for (const replica of replicas) {
      const recovery = await query<{ recovery: boolean }>(replica, 'SELECT pg_is_in_recovery() AS recovery');
      expect(recovery[0]?.recovery).toBe(true);
      await waitUntil(async () => (await query<{ n: string }>(replica, 'SELECT count(*) AS n FROM bootstrap_check').catch(() => []))[0]?.n === '1', {
        timeoutMs: 10_000,
        what: `the row on ${replica.name}`,
      });
    }
  }, 200_000);

  it('publishes the Patroni view: /cluster lists one leader and two streaming replicas', async () => {
    const leader = await cluster.waitForLeader();
    type ClusterBody = { members: Array<{ name: string; role: string; state: string }> };
    // /cluster reads the member keys, written once per cycle: a replica that has just started to
    // stream (GET /patroni answers live) says so there by its next cycle.
    const body = await waitUntil(async () => {
      const answer = await leader.request('GET', '/cluster');
      expect(answer.status).toBe(200);
      const view = answer.json<ClusterBody>();
      return view.members.every((member) => member.state === 'running' || member.state === 'streaming') ? view : undefined;
    }, { timeoutMs: 15_000, what: 'every member running or streaming in /cluster' });
    expect(body.members.map((member) => member.role).sort()).toEqual(['leader', 'replica', 'replica']);
    expect(body.members.filter((member) => member.role === 'replica').every((member) => member.state === 'streaming')).toBe(true);
  }, 30_000);

  it('keeps haproxy.cfg current when the agent config has a haproxy section', async () => {
    const file = join(dirname(cluster.member('node1').dataDir), 'haproxy.cfg');
    const text = await waitUntil(
      () => {
        try {
          const content = readFileSync(file, 'utf8');
          return cluster.members.every((member) => content.includes(`127.0.0.1:${member.pgPort}`)) ? content : undefined;
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 30_000, what: 'haproxy.cfg listing every member' },
    );
    expect(text).toContain(`port ${cluster.member('node2').apiPort}`);
  }, 60_000);

  it('restarts a replica on POST /restart and re-clones it on POST /reinitialize; it streams again', async () => {
    const leader = await cluster.waitForLeader();
    const replica = cluster.members.find((member) => member !== leader)!;
    const before = replica.postmasterPid();
    const restarted = await replica.request('POST', '/restart', {});
    expect(restarted.status, restarted.body).toBe(200);
    expect(restarted.body).toContain('restarted successfully');
    expect(replica.postmasterPid()).not.toBe(before);

    // A file only the old data directory has: gone once the replica was cloned anew.
    const marker = join(replica.dataDir, 'pgwarden-e2e-marker');
    writeFileSync(marker, 'old data directory');
    const reinitialized = await replica.request('POST', '/reinitialize', {});
    expect(reinitialized.status, reinitialized.body).toBe(200);
    await waitUntil(() => !existsSync(marker), { timeoutMs: 60_000, what: 'the data directory to be re-cloned' });
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 60_000 });
    const refused = await leader.request('POST', '/reinitialize', {});
    expect(refused.status).toBe(503);
    expect(refused.body).toContain('I am the leader, can not reinitialize');
  }, 120_000);

  it('re-reads its configuration file on SIGHUP: a new tag is published', async () => {
    const member = cluster.member('node3');
    const config = JSON.parse(readFileSync(member.configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(member.configPath, JSON.stringify({ ...config, tags: { nofailover: true, zone: 'b' } }));
    process.kill(member.agentPid()!, 'SIGHUP');
    await waitUntil(async () => {
      const tags = (await member.status())?.['tags'] as Record<string, unknown> | undefined;
      return tags?.['nofailover'] === true && tags['zone'] === 'b';
    }, { timeoutMs: 30_000, what: 'the reloaded tags in GET /patroni' });
  }, 60_000);
});
