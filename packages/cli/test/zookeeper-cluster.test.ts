/**
 * A real three-member pgwarden cluster (real agents, real PostgreSQL 15) on a
 * real ZooKeeper server (Debian's zookeeperd 3.8), with Patroni's default ttl
 * of 30 s: it bootstraps, pgwardenctl and Debian's patronictl 3.0.2 list it
 * from the same znodes, it switches over on request and fails over by itself
 * when the leader's agent and postmaster are SIGKILLed (its session then
 * expires on the server and the leader znode goes with it).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPgwardenCluster, startZooKeeper, type PgwardenCluster, type ZooKeeperEnsemble } from '@pgwarden/testkit';
import { ZooKeeperDcs } from '@pgwarden/dcs-zookeeper';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { healthy, leaderOf, listJson, waitForClusterConfig, waitForRows } from './helpers/cluster.js';
import { ctl } from './helpers/run-ctl.js';

const SCOPE = 'zk-demo';
const PATRONICTL = '/usr/bin/patronictl';
let zk: ZooKeeperEnsemble | undefined;
let cluster: PgwardenCluster | undefined;
let ctlConfig: string;

/** The leader znode's value, read by a fresh client (it holds no znode of its own). */
async function leaderZnode(): Promise<string | undefined> {
  const probe = new ZooKeeperDcs({ hosts: [...zk!.hosts], scope: SCOPE, name: 'probe' });
  try {
    const read = await probe.getCluster();
    return read.ok ? read.value.leader?.name : undefined;
  } finally {
    await probe.close();
  }
}

beforeAll(async () => {
  zk = await startZooKeeper({ size: 1 });
  const hosts = [...zk.hosts];
  cluster = await startPgwardenCluster({
    scope: SCOPE,
    size: 3,
    withoutEtcd: true,
    ttl: 30,
    loopWait: 2,
    retryTimeout: 5,
    configure: (_name, config) => {
      const { etcd3: _unused, ...rest } = config;
      return { ...rest, zookeeper: { hosts } };
    },
  });
  ctlConfig = join(cluster.dir, 'patronictl.yaml');
  writeFileSync(ctlConfig, stringify({ scope: SCOPE, namespace: cluster.namespace, zookeeper: { hosts } }));
  await waitForRows(ctlConfig, (rows) => healthy(rows, 3), 150_000);
  await waitForClusterConfig(ctlConfig);
}, 240_000);

afterAll(async () => {
  await cluster?.stop();
  await zk?.stop();
}, 120_000);

describe('a pgwarden cluster on ZooKeeper', () => {
  it('bootstraps: three members listed, the leader znode holds the leader\'s name', async () => {
    const rows = await listJson(ctlConfig);
    expect(rows.map((row) => row.Member).sort()).toEqual(['node1', 'node2', 'node3']);
    const leader = leaderOf(rows);
    expect(leader).toBeDefined();
    expect(await leaderZnode()).toBe(leader);
  });

  it('Debian\'s patronictl 3.0.2 on the same ZooKeeper lists the same cluster', async () => {
    const run = await promisify(execFile)(PATRONICTL, ['-c', ctlConfig, 'list', '-f', 'json'], { timeout: 60_000 });
    const rows = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    const ours = await listJson(ctlConfig);
    expect(rows.map((row) => row['Member']).sort()).toEqual(['node1', 'node2', 'node3']);
    expect(rows.find((row) => row['Role'] === 'Leader')?.['Member']).toBe(leaderOf(ours));
    for (const row of rows) {
      expect(row['Cluster']).toBe(SCOPE);
      // patronictl 3.0.2 shows the member's state (pgwardenctl, as Patroni 4.x, shows `streaming` for replicas).
      expect(row['State']).toBe('running');
    }
  });

  it('switches over to a replica on request', async () => {
    const before = leaderOf(await listJson(ctlConfig));
    const candidate = ['node1', 'node2', 'node3'].find((name) => name !== before)!;
    const run = await ctl(['-c', ctlConfig, 'switchover', '--candidate', candidate, '--force']);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const rows = await waitForRows(ctlConfig, (current) => leaderOf(current) === candidate && healthy(current, 3), 90_000);
    expect(leaderOf(rows)).toBe(candidate);
  }, 120_000);

  it('fails over by itself when the leader\'s agent and postmaster are SIGKILLed', async () => {
    const old = await cluster!.waitForLeader();
    await old.kill();
    const postmaster = await old.killPostmaster('SIGKILL');
    const killedAt = Date.now();
    expect(old.running()).toBe(false);
    expect(postmaster).toBeDefined();
    expect(old.postmasterPid()).toBeUndefined();
    const next = await cluster!.waitForLeader({ exclude: old.name, timeoutMs: 90_000 });
    const failoverMs = Date.now() - killedAt;
    console.log(`zookeeper e2e: failover took ${failoverMs} ms with ttl 30 (leader ${old.name} -> ${next.name})`);
    expect(next.name).not.toBe(old.name);
    expect(await leaderZnode()).toBe(next.name);
  }, 120_000);
});
