/**
 * pg_rewind of a former primary against the new leader, with Patroni's
 * checks first: the leader is a primary, the timelines really diverged
 * (history file of the leader against our last position), the cluster is
 * rewindable (wal_log_hints or checksums) and was shut down cleanly (crash
 * recovery in single-user mode if not). A failed rewind removes the data
 * directory only when the config allows it, so the next cycle re-clones.
 */
import { PgwardenError, type FollowTarget } from '@pgwarden/core';
import type { Context } from './context.js';
import { writePasswordFile } from './config-writer.js';
import { runCrashRecovery } from './crash-recovery.js';
import { isRewindable, parseLsn, readControlData } from './files/controldata.js';
import { credentialFields, formatConninfo, parseConnUrl } from './files/conninfo.js';
import { removeDataDirectory } from './files/data-directory.js';
import { historyFileName } from './files/timeline-reservation.js';
import { join } from 'node:path';
import { describeFailure, runCommand } from './process/run-command.js';
import { withClient, type ConnectionSettings } from './sql/connection.js';

export interface RewindCheck {
  readonly needed: boolean;
  readonly reason: string;
  readonly localTimeline: number;
  readonly leaderTimeline: number;
}

export type RewindOutcome =
  | { readonly outcome: 'not-needed'; readonly reason: string }
  | { readonly outcome: 'rewound'; readonly reason: string }
  | { readonly outcome: 'removed-data-directory'; readonly reason: string };

function sourceSettings(context: Context, source: FollowTarget, statementTimeoutMs: number, superuser = false): ConnectionSettings {
  const endpoint = parseConnUrl(source.connUrl ?? '');
  const { authentication } = context.options;
  const credentials = superuser ? authentication.superuser : (authentication.rewind ?? authentication.superuser);
  return {
    host: endpoint.host,
    port: endpoint.port,
    user: credentials.username,
    ...(credentials.password !== undefined ? { password: credentials.password } : {}),
    database: endpoint.dbname ?? context.options.database,
    connectTimeoutSeconds: context.options.connect_timeout_seconds,
    statementTimeoutMs,
    applicationName: 'pgwarden rewind',
  };
}

/** `parent_tl \t switchpoint \t reason` lines of a timeline history file. */
export function parseHistory(text: string): Array<{ parentTimeline: number; switchpoint: number }> {
  const lines: Array<{ parentTimeline: number; switchpoint: number }> = [];
  for (const line of text.split('\n')) {
    const [parent, lsn] = line.trim().split(/\s+/);
    const switchpoint = parseLsn(lsn);
    if (parent && /^\d+$/.test(parent) && switchpoint !== undefined) lines.push({ parentTimeline: Number(parent), switchpoint });
  }
  return lines;
}

async function checkpointEnd(context: Context, checkpointLsn: string, timeline: number): Promise<number | undefined> {
  const waldump = join(context.binaries.postgres, '..', 'pg_waldump');
  const result = await runCommand(waldump, ['-p', join(context.paths.dataDir, 'pg_wal'), '-t', String(timeline), '-s', checkpointLsn, '-n', '2'], {
    user: context.user,
    timeoutMs: 30_000,
    env: { LANG: 'C', LC_ALL: 'C' },
  }).catch(() => undefined);
  if (!result) return undefined;
  const text = `${result.stdout}\n${result.stderr}`;
  const next = /lsn: ([0-9A-F]+\/[0-9A-F]+), prev ([0-9A-F]+\/[0-9A-F]+)/g;
  const records = [...text.matchAll(next)];
  if (records[1]?.[1]) return parseLsn(records[1][1]);
  const invalid = /invalid record length at ([0-9A-F]+\/[0-9A-F]+)/.exec(text) ?? /record with incorrect prev-link .* at ([0-9A-F]+\/[0-9A-F]+)/.exec(text);
  return invalid?.[1] ? parseLsn(invalid[1]) : undefined;
}

/** Patroni's divergence check (spec/postgres.md §7.1), on a stopped data directory. */
export async function checkRewindNeeded(context: Context, source: FollowTarget): Promise<RewindCheck> {
  const control = await readControlData(context.binaries.pg_controldata, context.paths.dataDir, context.user);
  if (!control) throw new PgwardenError('pg-data-dir-invalid', 'cannot check for divergence: pg_control is unreadable');
  const state = control['Database cluster state'] ?? '';
  const inRecovery = state === 'shut down in recovery' || state === 'in archive recovery';
  const minRecoveryTimeline = Number(control["Min recovery ending loc's timeline"] ?? 0);
  const useMinRecovery = inRecovery && minRecoveryTimeline > 0;
  const localTimeline = useMinRecovery ? minRecoveryTimeline : Number(control["Latest checkpoint's TimeLineID"]);
  const localLsnText = useMinRecovery ? (control['Minimum recovery ending location'] ?? '') : (control['Latest checkpoint location'] ?? '');
  const localLsn = parseLsn(localLsnText) ?? 0;
  const leader = await withClient(sourceSettings(context, source, 5000), async (client) => {
    const status = await client.query<{ in_recovery: boolean; timeline: number | null }>(
      "SELECT pg_is_in_recovery() AS in_recovery, CASE WHEN pg_is_in_recovery() THEN NULL ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS timeline",
    );
    const row = status.rows[0];
    if (!row || row.in_recovery || row.timeline === null) return undefined;
    if (row.timeline <= localTimeline) return { timeline: row.timeline, history: '' };
    const name = `pg_wal/${historyFileName(row.timeline)}`;
    const history = await client.query<{ content: Buffer }>('SELECT pg_catalog.pg_read_binary_file($1) AS content', [name]);
    return { timeline: row.timeline, history: history.rows[0]?.content.toString('utf8') ?? '' };
  }).catch((error: unknown) => {
    throw new PgwardenError('pg-rewind-source-unreachable', `cannot check the new leader for divergence: ${(error as Error).message}`, { cause: error });
  });
  if (!leader) throw new PgwardenError('pg-rewind-source-not-primary', 'the rewind source is in recovery, not a primary');
  const base = { localTimeline, leaderTimeline: leader.timeline };
  if (localTimeline > leader.timeline) return { ...base, needed: true, reason: `our timeline ${localTimeline} is ahead of the leader's ${leader.timeline}` };
  if (localTimeline === leader.timeline) return { ...base, needed: false, reason: 'same timeline as the leader' };
  for (const line of parseHistory(leader.history)) {
    if (line.parentTimeline > localTimeline) break;
    if (line.parentTimeline !== localTimeline) continue;
    if (inRecovery) return { ...base, needed: localLsn > line.switchpoint, reason: `replayed up to ${localLsnText}, leader switched at ${line.switchpoint}` };
    if (localLsn >= line.switchpoint) return { ...base, needed: true, reason: `our checkpoint ${localLsnText} is past the leader's switchpoint` };
    const end = await checkpointEnd(context, localLsnText, localTimeline);
    return { ...base, needed: end !== line.switchpoint, reason: `shutdown checkpoint ends at ${end ?? 'unknown'}, leader switched at ${line.switchpoint}` };
  }
  return { ...base, needed: true, reason: `no switch from timeline ${localTimeline} in the leader's history` };
}

async function ensureSourceCheckpointed(context: Context, source: FollowTarget): Promise<void> {
  try {
    await withClient(sourceSettings(context, source, 10 * 60_000, true), (client) => client.query('CHECKPOINT'));
  } catch (error) {
    context.logger.warn({ error: (error as Error).message }, 'CHECKPOINT on the rewind source failed; pg_rewind may see an old timeline');
  }
}

async function failOrRemove(context: Context, message: string): Promise<RewindOutcome> {
  if (context.options.remove_data_directory_on_rewind_failure) {
    context.logger.warn({ message }, 'pg_rewind failed; removing the data directory to re-clone');
    removeDataDirectory(context.paths.dataDir);
    return { outcome: 'removed-data-directory', reason: message };
  }
  throw new PgwardenError('pg-rewind-failed', message);
}

export async function rewind(context: Context, source: FollowTarget): Promise<RewindOutcome> {
  await runCrashRecovery(context);
  const control = await readControlData(context.binaries.pg_controldata, context.paths.dataDir, context.user);
  if (!control || !isRewindable(control)) {
    const reason = 'pg_rewind needs wal_log_hints=on or data checksums, and this cluster has neither';
    if (context.options.remove_data_directory_on_diverged_timelines) {
      removeDataDirectory(context.paths.dataDir);
      return { outcome: 'removed-data-directory', reason };
    }
    throw new PgwardenError('pg-rewind-impossible', reason);
  }
  const check = await checkRewindNeeded(context, source);
  if (!check.needed) return { outcome: 'not-needed', reason: check.reason };
  await ensureSourceCheckpointed(context, source);
  writePasswordFile(context, [source]);
  const endpoint = parseConnUrl(source.connUrl ?? '');
  const { authentication } = context.options;
  const dsn = formatConninfo({
    dbname: endpoint.dbname ?? context.options.database,
    ...credentialFields(authentication.rewind ?? authentication.superuser),
    passfile: context.paths.pgpass,
    host: endpoint.host,
    port: endpoint.port,
  });
  const restore = context.options.recovery_conf['restore_command'] !== undefined ? ['--restore-target-wal', `--config-file=${context.paths.configFile}`] : [];
  const result = await runCommand(context.binaries.pg_rewind, [...restore, '-D', context.paths.dataDir, '--source-server', dsn], {
    user: context.user,
    timeoutMs: 3600_000,
    env: { PGPASSFILE: context.paths.pgpass, LANG: 'C', LC_ALL: 'C', PGOPTIONS: '-c statement_timeout=0' },
  });
  if (result.code !== 0) return failOrRemove(context, describeFailure('pg_rewind', result));
  context.logger.info({ reason: check.reason }, 'pg_rewind succeeded');
  return { outcome: 'rewound', reason: check.reason };
}
