/**
 * Replica creation: create_replica_methods tried in order (basebackup or a
 * custom command), each into an emptied data directory. The invariant: on
 * failure no half-made data directory is left behind.
 */
import { PgwardenError, type FollowTarget } from '@pgwarden/core';
import type { Context } from './context.js';
import { writePasswordFile } from './config-writer.js';
import { credentialFields, formatConninfo, parseConnUrl } from './files/conninfo.js';
import { assertOwnedBy, ensureDirectory, removeDataDirectory } from './files/data-directory.js';
import { methodUserArguments, optionListArguments, splitCommand } from './option-lists.js';
import { describeFailure, runCommand } from './process/run-command.js';

export interface CreateReplicaOutcome {
  readonly method: string;
  readonly attempts: readonly { readonly method: string; readonly error?: string }[];
}

const basebackupForbidden = ['pgdata', 'format', 'wal-method', 'xlog-method', 'gzip', 'version', 'compress', 'dbname', 'host', 'port', 'username', 'password'];

/** The replication connection string to the source, password left to pgpass. */
export function sourceConnstring(context: Context, source: FollowTarget): string {
  const endpoint = parseConnUrl(source.connUrl ?? '');
  return formatConninfo({
    dbname: endpoint.dbname ?? context.options.database,
    ...credentialFields(context.options.authentication.replication),
    passfile: context.paths.pgpass,
    host: endpoint.host,
    port: endpoint.port,
  });
}

/** `  1234/5678 kB (21%), 0/1 tablespace` → bytes done / total. */
export function parseBasebackupProgress(chunk: string): { doneBytes: number; totalBytes: number } | undefined {
  const matches = [...chunk.matchAll(/(\d+)\/(\d+) kB/g)];
  const last = matches.at(-1);
  if (!last?.[1] || !last[2]) return undefined;
  return { doneBytes: Number(last[1]) * 1024, totalBytes: Number(last[2]) * 1024 };
}

function prepareEmptyDataDirectory(context: Context): void {
  removeDataDirectory(context.paths.dataDir);
  ensureDirectory(context.paths.dataDir, context.user);
}

async function runBasebackup(context: Context, source: FollowTarget): Promise<void> {
  const { options } = context;
  const args = [
    `--pgdata=${context.paths.dataDir}`,
    '-X',
    'stream',
    `--dbname=${sourceConnstring(context, source)}`,
    '--progress',
    '--verbose',
    ...optionListArguments(options.basebackup, basebackupForbidden, 'postgresql.basebackup'),
  ];
  let lastError = '';
  for (let attempt = 1; attempt <= options.basebackup_max_attempts; attempt++) {
    prepareEmptyDataDirectory(context);
    const result = await runCommand(context.binaries.pg_basebackup, args, {
      user: context.user,
      timeoutMs: 24 * 3600_000,
      env: { PGPASSFILE: context.paths.pgpass, LANG: 'C', LC_ALL: 'C' },
      onStderr: (chunk) => {
        const progress = parseBasebackupProgress(chunk);
        if (progress) context.emit({ type: 'basebackup-progress', ...progress, attempt });
      },
    });
    if (result.code === 0) return;
    lastError = describeFailure('pg_basebackup', result);
    context.logger.warn({ attempt, error: lastError }, 'pg_basebackup failed');
    if (attempt < options.basebackup_max_attempts) await new Promise((resolve) => setTimeout(resolve, options.basebackup_retry_delay_seconds * 1000));
  }
  throw new PgwardenError('pg-basebackup-failed', `base backup from ${parseConnUrl(source.connUrl ?? '').host} failed after ${options.basebackup_max_attempts} attempts: ${lastError}`);
}

async function runCustomMethod(context: Context, method: string, source: FollowTarget | undefined): Promise<void> {
  const section = context.options.replica_methods[method] ?? {};
  const [command, ...fixed] = splitCommand(section.command ?? method);
  if (!command) throw new PgwardenError('pg-replica-method-invalid', `replica method ${method} has an empty command`);
  if (section.keep_data !== true) prepareEmptyDataDirectory(context);
  const params = section.no_params
    ? []
    : [
        `--scope=${context.options.scope}`,
        '--role=replica',
        `--datadir=${context.paths.dataDir}`,
        ...(source?.connUrl ? [`--connstring=${sourceConnstring(context, source)}`] : []),
      ];
  const result = await runCommand(command, [...fixed, ...params, ...methodUserArguments(section, ['scope', 'role', 'datadir', 'connstring'])], {
    user: context.user,
    timeoutMs: 24 * 3600_000,
    env: { PGPASSFILE: context.paths.pgpass },
  });
  if (result.code !== 0) throw new PgwardenError('pg-replica-method-failed', describeFailure(`replica method ${method}`, result));
}

export async function createReplica(context: Context, source: FollowTarget | undefined): Promise<CreateReplicaOutcome> {
  assertOwnedBy(context.paths.dataDir, context.user);
  writePasswordFile(context, source ? [source] : []);
  const attempts: Array<{ method: string; error?: string }> = [];
  let lastError: unknown;
  // A standby cluster's leader clones from the remote member with standby_cluster.create_replica_methods.
  const methods = source?.createReplicaMethods ?? context.options.create_replica_methods;
  for (const method of methods) {
    const section = context.options.replica_methods[method];
    const worksWithoutLeader = method !== 'basebackup' && (section?.no_leader === true || section?.no_master === true);
    if (!source?.connUrl && !worksWithoutLeader) {
      context.emit({ type: 'replica-method', method, outcome: 'skipped', detail: 'needs a leader' });
      continue;
    }
    context.emit({ type: 'replica-method', method, outcome: 'started' });
    try {
      if (method === 'basebackup') await runBasebackup(context, source as FollowTarget);
      else await runCustomMethod(context, method, source);
      attempts.push({ method });
      context.emit({ type: 'replica-method', method, outcome: 'succeeded' });
      return { method, attempts };
    } catch (error) {
      lastError = error;
      attempts.push({ method, error: (error as Error).message });
      context.emit({ type: 'replica-method', method, outcome: 'failed', detail: (error as Error).message });
      removeDataDirectory(context.paths.dataDir);
    }
  }
  removeDataDirectory(context.paths.dataDir);
  if (lastError instanceof PgwardenError) throw lastError;
  throw new PgwardenError('pg-create-replica-failed', `no replica method could run (methods: ${methods.join(', ')}; leader ${source?.connUrl ? 'known' : 'unknown'})`);
}
