/**
 * The two agents under test, each started as a 3-member cluster through
 * testkit's `startPgwardenCluster` (free loopback ports, its own etcd, the
 * same generated Patroni-format YAML):
 *
 * - pgwarden: the installed command itself (`packages/cli/bin/pgwarden`,
 *   which execs the built bundle with its V8 flags) on this Node
 *   (PGWARDEN_NODE, when set, names another), as root (it runs PostgreSQL as the postgres user); the
 *   script execs, so the agent PID testkit knows is Node's own process;
 * - Patroni: Debian's `/usr/bin/patroni` (3.0.2), exec'd as the postgres
 *   user by a wrapper script, the technique of
 *   packages/cli/test/patroni-mixed-cluster.test.ts. The wrapper execs, so
 *   the agent PID testkit knows is Patroni's own process.
 */
import { chmodSync, chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, postgresUser, startPgwardenCluster, type PgwardenCluster, type TempDir } from '@pgwarden/testkit';

export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const PGWARDEN_BIN = join(repositoryRoot, 'packages/cli/dist/bin/pgwarden.js');
/** The pgwarden command as installed: a script that execs Node on PGWARDEN_BIN with the agent's V8 flags. */
export const PGWARDEN_COMMAND = join(repositoryRoot, 'packages/cli/bin/pgwarden');

/** The Node flags the command's `exec` line gives (for the table's notes): its `--` words. */
export function commandNodeFlags(command: string): string[] {
  const exec = readFileSync(command, 'utf8').split('\n').find((line) => line.trimStart().startsWith('exec '));
  return (exec ?? '').split(/\s+/).filter((word) => word.startsWith('--'));
}
export const PATRONI_BIN = '/usr/bin/patroni';

export type ImplementationName = 'pgwarden' | 'patroni';

export interface Timings {
  readonly ttl: number;
  readonly loopWait: number;
  readonly retryTimeout: number;
}

export const DEFAULT_TIMINGS: Timings = { ttl: 30, loopWait: 10, retryTimeout: 10 };
export const FAST_TIMINGS: Timings = { ttl: 5, loopWait: 1, retryTimeout: 1 };

/** What a scenario changes in the cluster it prepares. */
export interface ClusterShape {
  /** Members (default 3). */
  readonly size?: number;
  /** Keys merged into every member's `restapi` section. */
  readonly restapi?: Readonly<Record<string, unknown>>;
}

export interface Implementation {
  readonly name: ImplementationName;
  /** A cluster (3 members unless `shape` says), configs written, no agent started yet (`cluster.members[i].start()`). */
  prepare(timings: Timings, shape?: ClusterShape): Promise<PgwardenCluster>;
  /** `restapi.request_queue_size` is a setting (Patroni 3.0.2 has none: its backlog is always 5). */
  readonly hasRequestQueueSize: boolean;
}

function withRestapi(config: Record<string, unknown>, restapi: ClusterShape['restapi']): Record<string, unknown> {
  if (restapi === undefined) return config;
  return { ...config, restapi: { ...(config['restapi'] as Record<string, unknown>), ...restapi } };
}

let wrapperDir: TempDir | undefined;

function patroniWrapper(): string[] {
  if (wrapperDir === undefined) {
    wrapperDir = makeTempDir('bench-patroni-wrapper');
    process.once('exit', () => wrapperDir?.remove());
  }
  const path = join(wrapperDir.path, 'patroni.sh');
  writeFileSync(
    path,
    ['#!/bin/sh', 'cd /tmp || exit 1', `exec setpriv --reuid=postgres --regid=postgres --init-groups env HOME=/tmp ${PATRONI_BIN} "$1"`, ''].join('\n'),
  );
  chmodSync(path, 0o700);
  return ['/bin/sh', path];
}

export const pgwarden: Implementation = {
  name: 'pgwarden',
  hasRequestQueueSize: true,
  prepare: (timings, shape = {}) =>
    startPgwardenCluster({
      ...timings,
      ...(shape.size !== undefined ? { size: shape.size } : {}),
      start: 'none',
      scope: `bench-pgwarden-${Math.random().toString(36).slice(2, 6)}`,
      agentCommand: ['/bin/sh', PGWARDEN_COMMAND],
      env: { PGWARDEN_NODE: process.env['PGWARDEN_NODE'] ?? process.execPath },
      configure: (_name, config) => withRestapi(config, shape.restapi),
    }),
};

export const patroni: Implementation = {
  name: 'patroni',
  hasRequestQueueSize: false,
  async prepare(timings, shape = {}) {
    const cluster = await startPgwardenCluster({
      ...timings,
      ...(shape.size !== undefined ? { size: shape.size } : {}),
      start: 'none',
      scope: `bench-patroni-${Math.random().toString(36).slice(2, 6)}`,
      agentCommand: patroniWrapper(),
      // Patroni 3.0.2 logs plain text; the json log type is pgwarden's.
      configure: (_name, config) => ({ ...withRestapi(config, shape.restapi), log: { level: 'INFO' } }),
    });
    // Patroni runs as postgres: it must read its own config.
    const user = postgresUser();
    for (const member of cluster.members) chownSync(member.configPath, user.uid, user.gid);
    return cluster;
  },
};

export function patroniInstalled(): boolean {
  return existsSync(PATRONI_BIN);
}
