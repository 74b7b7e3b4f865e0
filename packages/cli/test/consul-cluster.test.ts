/**
 * A real two-member cluster (real agents, real PostgreSQL 15) on Consul —
 * testkit's Consul HTTP model, as no Consul server is packaged for Debian —
 * driven by pgwardenctl through a `consul` section: list, show-config and a
 * switchover. The keys are Patroni's (`service/<scope>/leader` holds the
 * leader's name), so patronictl and Patroni members can share the cluster.
 */
import { startConsulModel, startPgwardenCluster, type ConsulModel, type PgwardenCluster } from '@pgwarden/testkit';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { healthy, leaderOf, listJson, waitForClusterConfig, waitForRows } from './helpers/cluster.js';
import { ctl } from './helpers/run-ctl.js';

const SCOPE = 'consul-demo';
let model: ConsulModel | undefined;
let cluster: PgwardenCluster | undefined;
let ctlConfig: string;

beforeAll(async () => {
  model = await startConsulModel();
  const url = model.url;
  cluster = await startPgwardenCluster({
    scope: SCOPE,
    size: 2,
    configure: (_name, config) => {
      const { etcd3: _unused, ...rest } = config;
      return { ...rest, consul: { url } };
    },
  });
  ctlConfig = join(cluster.dir, 'patronictl.yaml');
  writeFileSync(ctlConfig, stringify({ scope: SCOPE, namespace: cluster.namespace, consul: { url } }));
  await waitForRows(ctlConfig, (rows) => healthy(rows, 2), 120_000);
  // The leader writes /config on the cycle after the bootstrap.
  await waitForClusterConfig(ctlConfig);
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  await model?.stop();
}, 120_000);

describe('pgwardenctl on a Consul cluster', () => {
  it('lists the members the agents registered in Consul, under Patroni\'s keys', async () => {
    const rows = await listJson(ctlConfig);
    expect(rows.map((row) => row.Member).sort()).toEqual(['node1', 'node2']);
    const leader = leaderOf(rows);
    expect(leader).toBeDefined();
    expect(model?.readRaw(`service/${SCOPE}/leader`)).toBe(leader);
    expect(JSON.parse(model?.readRaw(`service/${SCOPE}/members/${leader}`) ?? '{}')).toMatchObject({ role: 'primary', state: 'running' });
  });

  it('shows the dynamic configuration the leader wrote', async () => {
    const run = await ctl(['-c', ctlConfig, 'show-config']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ttl: 20$/m);
  });

  it('switches over to the replica and the old primary follows it', async () => {
    const before = leaderOf(await listJson(ctlConfig));
    const candidate = before === 'node1' ? 'node2' : 'node1';
    const run = await ctl(['-c', ctlConfig, 'switchover', '--candidate', candidate, '--force']);
    expect(run.code, run.stderr).toBe(0);
    const rows = await waitForRows(ctlConfig, (current) => leaderOf(current) === candidate && healthy(current, 2), 90_000);
    expect(leaderOf(rows)).toBe(candidate);
    expect(model?.readRaw(`service/${SCOPE}/leader`)).toBe(candidate);
  }, 120_000);

  it('reports an unreachable Consul in one line', async () => {
    const config = join(cluster!.dir, 'unreachable.yaml');
    writeFileSync(config, stringify({ scope: SCOPE, consul: { host: '127.0.0.1:1' }, retry_timeout: 1 }));
    const run = await ctl(['-c', config, 'list']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/consul at 127\.0\.0\.1:1/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
