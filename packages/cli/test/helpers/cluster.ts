/**
 * One real three-member cluster for the command tests: etcd, three pgwarden
 * agents run from their TypeScript sources (real PostgreSQL 15), HAProxy —
 * the demo's launcher on free ports, stopped by PID after the tests.
 */
import { makeTempDir } from '@pgwarden/testkit';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoCluster, type DemoCluster } from '../../src/demo/demo-cluster.js';
import { choosePorts } from '../../src/demo/demo-ports.js';
import { ctl } from './run-ctl.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');

export const SOURCE_AGENT: [string, ...string[]] = [
  process.execPath,
  '--import',
  'tsx',
  '--conditions=source',
  join(REPO_ROOT, 'packages/cli/src/bin/pgwarden.ts'),
];

export async function startTestCluster(log: (text: string) => void = () => undefined): Promise<DemoCluster> {
  const state = makeTempDir('ctl-cluster-state');
  return startDemoCluster({
    ports: await choosePorts(undefined, false),
    stateFile: join(state.path, 'state.json'),
    agentCommand: SOURCE_AGENT,
    repoRoot: REPO_ROOT,
    say: log,
    readyTimeoutMs: 120_000,
  });
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
