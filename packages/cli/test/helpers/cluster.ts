/**
 * One real three-member cluster for the command tests — etcd, three pgwarden
 * agents run from their TypeScript sources, real PostgreSQL 15 — through the
 * testkit launcher (everything stopped by PID), plus the pgwardenctl config
 * that points at it. The REST APIs require basic auth, as in production.
 */
import { startPgwardenCluster, type PgwardenCluster } from '@pgwarden/testkit';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ctl } from './run-ctl.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');

export const API_AUTH = { username: 'operator', password: 'operator-secret' } as const;

export interface TestCluster {
  readonly cluster: PgwardenCluster;
  /** A patronictl.yaml for this cluster: scope, etcd3 hosts, ctl.authentication. */
  readonly ctlConfig: string;
  readonly etcdHostPort: string;
}

export async function startTestCluster(): Promise<TestCluster> {
  const cluster = await startPgwardenCluster({
    scope: 'demo',
    configure: (_name, config) => ({ ...config, restapi: { ...(config['restapi'] as object), authentication: API_AUTH } }),
  });
  const etcdHostPort = cluster.etcd.endpoints[0]!.replace(/^https?:\/\//, '');
  const ctlConfig = join(cluster.dir, 'patronictl.yaml');
  writeFileSync(ctlConfig, stringify({ scope: 'demo', namespace: cluster.namespace, etcd3: { hosts: etcdHostPort }, ctl: { authentication: API_AUTH } }));
  await waitForClusterConfig(ctlConfig);
  return { cluster, ctlConfig, etcdHostPort };
}

/**
 * The leader writes `/config` a cycle after bootstrap; commands such as
 * edit-config need it, so a cluster is ready for them only once it exists.
 */
export async function waitForClusterConfig(ctlConfig: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await ctl(['-c', ctlConfig, 'show-config']);
    if (run.code === 0 && run.stdout.trim() !== '' && run.stdout.trim() !== '{}') return;
    if (Date.now() > deadline) throw new Error(`the cluster's /config key did not appear within ${timeoutMs} ms: ${run.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export interface ListRow {
  readonly Cluster: string;
  readonly Member: string;
  readonly Host: string;
  readonly Role: string;
  readonly State: string;
  readonly TL?: number;
  readonly 'Lag in MB'?: number | string;
  readonly [key: string]: unknown;
}

export async function listJson(config: string): Promise<ListRow[]> {
  const run = await ctl(['-c', config, 'list', '-f', 'json']);
  if (run.code !== 0) throw new Error(`list failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as ListRow[];
}

/** Poll `list -f json` until `accept(rows)` or the timeout; returns the last rows. */
export async function waitForRows(config: string, accept: (rows: ListRow[]) => boolean, timeoutMs = 60_000): Promise<ListRow[]> {
  const deadline = Date.now() + timeoutMs;
  let rows: ListRow[] = [];
  while (Date.now() < deadline) {
    rows = await listJson(config).catch(() => []);
    if (accept(rows)) return rows;
    await new Promise((done) => setTimeout(done, 500));
  }
  throw new Error(`cluster did not reach the expected state; last: ${JSON.stringify(rows)}`);
}

/** A leader running and every other member streaming on its timeline. */
export function healthy(rows: readonly ListRow[], size = 3): boolean {
  const leader = rows.find((row) => row.Role === 'Leader');
  return (
    rows.length === size &&
    leader?.State === 'running' &&
    rows.every((row) => row === leader || (row.State === 'streaming' && row.TL === leader.TL))
  );
}

export function leaderOf(rows: readonly ListRow[]): string | undefined {
  return rows.find((row) => row.Role === 'Leader')?.Member;
}
