/**
 * observe(): the local state the core decides on, in one call. SQL when the
 * server accepts connections (one reused connection, retried once), and
 * pg_control for what survives a stopped server (system id, timeline,
 * checkpoint, clean-shutdown state).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryLine, LocalPostgres, ReplicationConnection } from '@pgwarden/core';
import type { Context } from './context.js';
import { dataDirectoryState } from './files/data-directory.js';
import { hasRecoverySignal } from './files/config-files.js';
import { historyFileName } from './files/timeline-reservation.js';
import { readControlFileHead } from './files/control-file.js';
import { isRewindable, parseLsn, readControlData, type ControlData } from './files/controldata.js';
import { parseConninfo } from './files/conninfo.js';
import { livePostmaster, type PostmasterPidFile } from './postmaster.js';
import { commandLineParameters, effectiveParameters } from './config-writer.js';
import type { Row } from './sql/connection.js';
import { replicationSlotsColumn, slotsFromColumn } from './slots.js';

/** The status columns: what a running server says of its recovery, positions, settings and slots. */
const statusColumns = `
  pg_is_in_recovery() AS in_recovery,
  CASE WHEN pg_is_in_recovery() THEN NULL
       ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS timeline,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_flush_lsn(), '0/0')::bigint END AS wal_position,
  pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint AS replayed,
  pg_wal_lsn_diff(pg_last_wal_receive_lsn(), '0/0')::bigint AS received,
  pg_is_in_recovery() AND pg_is_wal_replay_paused() AS replay_paused,
  (SELECT timeline_id FROM pg_control_checkpoint()) AS checkpoint_timeline,
  to_char(pg_postmaster_start_time() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS start_time,
  current_setting('server_version_num')::int AS version,
  current_setting('synchronous_standby_names') AS sync_names,
  current_setting('synchronous_commit') AS synchronous_commit,
  current_setting('primary_slot_name') AS primary_slot_name,
  (SELECT row_to_json(w) FROM (SELECT status, received_tli, slot_name, sender_host, sender_port, conninfo
     FROM pg_stat_wal_receiver) w) AS wal_receiver,
  ${replicationSlotsColumn} AS slots`;

const statusQuery = `SELECT ${statusColumns}`;

const replicationQuery = `
SELECT application_name, client_addr::text AS client_addr, state, sync_state, sync_priority,
  pg_wal_lsn_diff(sent_lsn, '0/0')::bigint AS sent, pg_wal_lsn_diff(write_lsn, '0/0')::bigint AS write,
  pg_wal_lsn_diff(flush_lsn, '0/0')::bigint AS flush, pg_wal_lsn_diff(replay_lsn, '0/0')::bigint AS replay,
  (extract(epoch FROM replay_lag) * 1000)::bigint AS replay_lag_ms
FROM pg_stat_replication ORDER BY application_name`;

/** Parameters changed in the files that wait for a restart, old (running) and new (file) values. */
export const pendingRestartQuery = `
SELECT s.name, current_setting(s.name) AS old_value,
  coalesce((SELECT f.setting FROM pg_file_settings f WHERE f.name = s.name ORDER BY f.seqno DESC LIMIT 1), '') AS new_value
FROM pg_settings s WHERE s.pending_restart`;

/**
 * The observation of a running server, in one round trip: the status columns,
 * the standbys streaming from us (a primary's; none asked on a replica), the
 * parameters waiting for a restart, and the running values of the
 * command-line parameters ($1, their names), which pg_settings.pending_restart
 * never flags. One round trip is one wake-up of the agent fewer per cycle,
 * which is most of what an idle agent spends.
 */
const observationQuery = `
SELECT ${statusColumns},
  (SELECT json_agg(r ORDER BY r.application_name) FROM (${replicationQuery}) r WHERE NOT pg_is_in_recovery()) AS replication,
  (SELECT json_agg(p) FROM (${pendingRestartQuery}) p) AS pending_restart,
  (SELECT json_agg(c) FROM (SELECT name, setting FROM pg_catalog.pg_settings WHERE name = ANY($1::text[])) c) AS command_line`;

/**
 * `pg_wal/<timeline>.history` as /history lines: [ended timeline, fork LSN,
 * reason]. With `newLeader`, the last line — the fork of this very timeline,
 * from the one before it or, after a promotion that skipped numbers another
 * member used, from an older one — also gets the file's modification time and
 * that name, as Patroni publishes the promotion that made the timeline
 * (`patronictl history`'s Timestamp and New Leader). A member that starts
 * with nobody else's key in the DCS knows the others by these names.
 */
export function readTimelineHistory(dataDir: string, timeline: number, newLeader?: string): HistoryLine[] | undefined {
  if (timeline <= 1) return undefined;
  try {
    const path = join(dataDir, 'pg_wal', historyFileName(timeline));
    const text = readFileSync(path, 'utf8');
    const lines: HistoryLine[] = [];
    for (const line of text.split('\n')) {
      const [parent, lsn, ...reason] = line.trim().split(/\s+/);
      const fork = parseLsn(lsn);
      if (parent && /^\d+$/.test(parent) && fork !== undefined) lines.push([Number(parent), fork, reason.join(' ')]);
    }
    const last = lines[lines.length - 1];
    if (newLeader !== undefined && last !== undefined && last[0] < timeline) {
      lines[lines.length - 1] = [...last, isoLocalTime(statSync(path, { bigint: true }).mtimeNs), newLeader];
    }
    return lines;
  } catch {
    return undefined;
  }
}

/**
 * readTimelineHistory once per postmaster, role and timeline (Context.ownHistoryCache);
 * a failed read is tried again next time. A primary's last line is stamped as
 * its own promotion (it publishes /history); a standby's is the file it
 * received, which the divergence check compares with the leader's.
 */
function ownHistory(context: Context, timeline: number, primary: boolean, postmasterStartTime: string): HistoryLine[] | undefined {
  const key = `${primary ? 'primary' : 'standby'}:${timeline}@${postmasterStartTime}`;
  if (postmasterStartTime !== '' && context.ownHistoryCache?.key === key) return context.ownHistoryCache.lines;
  const lines = readTimelineHistory(context.paths.dataDir, timeline, primary ? context.options.name : undefined);
  context.ownHistoryCache = lines === undefined || postmasterStartTime === '' ? undefined : { key, lines };
  return lines;
}

const two = (value: number): string => String(value).padStart(2, '0');

/**
 * Python's `datetime.fromtimestamp(t).replace(tzinfo=tzlocal()).isoformat()`:
 * local time, microseconds (rounded, as fromtimestamp does) when not zero,
 * the UTC offset.
 */
export function isoLocalTime(epochNs: bigint): string {
  const epochMicros = (epochNs + 500n) / 1_000n;
  const date = new Date(Number(epochMicros / 1_000n));
  const micros = Number(epochMicros % 1_000_000n);
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const fraction = micros === 0 ? '' : `.${String(micros).padStart(6, '0')}`;
  const day = `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
  const time = `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}${fraction}`;
  return `${day}T${time}${sign}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
}

const toNumber = (value: unknown): number | undefined => (value === null || value === undefined ? undefined : Number(value));

function replicationRow(row: Row, primaryPosition: number | undefined): ReplicationConnection {
  const replay = toNumber(row['replay']);
  const lagMs = toNumber(row['replay_lag_ms']);
  return {
    applicationName: String(row['application_name'] ?? ''),
    ...(row['client_addr'] ? { clientAddress: String(row['client_addr']) } : {}),
    state: String(row['state'] ?? ''),
    syncState: String(row['sync_state'] ?? ''),
    syncPriority: Number(row['sync_priority'] ?? 0),
    ...(toNumber(row['sent']) !== undefined ? { sentLsn: toNumber(row['sent']) } : {}),
    ...(toNumber(row['write']) !== undefined ? { writeLsn: toNumber(row['write']) } : {}),
    ...(toNumber(row['flush']) !== undefined ? { flushLsn: toNumber(row['flush']) } : {}),
    ...(replay !== undefined ? { replayLsn: replay } : {}),
    ...(replay !== undefined && primaryPosition !== undefined ? { lagBytes: Math.max(0, primaryPosition - replay) } : {}),
    ...(lagMs !== undefined ? { replayLagMs: lagMs } : {}),
  };
}

async function queryTwice<T extends Row>(context: Context, text: string, values?: readonly unknown[]): Promise<T[]> {
  try {
    return await context.local.query<T>(text, values);
  } catch {
    return context.local.query<T>(text, values);
  }
}

function fromControlData(control: ControlData | undefined): Partial<LocalPostgres> {
  if (!control) return {};
  const state = control['Database cluster state'];
  const inRecovery = state === 'shut down in recovery' || state === 'in archive recovery';
  const minRecoveryTimeline = Number(control["Min recovery ending loc's timeline"] ?? 0);
  const timeline = inRecovery && minRecoveryTimeline > 0 ? minRecoveryTimeline : Number(control["Latest checkpoint's TimeLineID"] ?? 0);
  const checkpointLsn = parseLsn(control['Latest checkpoint location']);
  return {
    ...(control['Database system identifier'] ? { systemIdentifier: control['Database system identifier'] } : {}),
    ...(state ? { controlState: state } : {}),
    ...(timeline > 0 ? { timeline } : {}),
    ...(checkpointLsn !== undefined ? { checkpointLsn } : {}),
    rewindable: isRewindable(control),
  };
}

const inRecoveryByControl = (control: ControlData | undefined): boolean | undefined => {
  const state = control?.['Database cluster state'];
  if (state === 'in production') return false;
  if (state === 'in archive recovery') return true;
  return undefined;
};

/**
 * pg_controldata, read again only for a new postmaster, or when the running
 * server's recovery state no longer matches the one read (a promotion).
 * A stopped server is always read afresh (its checkpoint is what a
 * rejoin and the leader key's last LSN use).
 */
async function controlDataFor(context: Context, postmaster: string | undefined, inRecovery?: boolean): Promise<ControlData | undefined> {
  const cached = context.controlData;
  if (postmaster !== undefined && cached !== undefined && cached.postmaster === postmaster && (inRecovery === undefined || inRecoveryByControl(cached.control) === inRecovery)) {
    return cached.control;
  }
  if (postmaster === undefined) {
    const quick = stoppedControlData(context);
    if (quick !== undefined) return quick;
  }
  const control = await readControlData(context.binaries.pg_controldata, context.paths.dataDir, context.user);
  context.controlData = postmaster === undefined || control === undefined ? undefined : { postmaster, control };
  if (control !== undefined) context.lastControlData = control;
  return control;
}

/**
 * A cleanly shut down server (a demoted primary about to publish its shutdown
 * checkpoint) without pg_controldata: the head of pg_control read directly
 * (state, checkpoint, timeline, system identifier), the rest (data checksums,
 * wal_log_hints, which a stop does not change) from the last pg_controldata of
 * the same cluster. Any other state, another system identifier, no earlier
 * read or a file that fails its CRC: undefined, and pg_controldata runs.
 */
function stoppedControlData(context: Context): ControlData | undefined {
  const last = context.lastControlData;
  if (last === undefined) return undefined;
  const head = readControlFileHead(context.paths.dataDir);
  if (head === undefined || head['Database cluster state'] !== 'shut down' || head['Database system identifier'] !== last['Database system identifier']) return undefined;
  return { ...last, ...head };
}

/** `livePostmasterFile`: the live postmaster's pid file as just read by the caller (undefined: none runs). */
export async function observe(context: Context, livePostmasterFile: PostmasterPidFile | undefined): Promise<LocalPostgres> {
  const { dataDir } = context.paths;
  context.observedSlots = undefined;
  const dataDirectory = dataDirectoryState(dataDir);
  const postmaster = dataDirectory === 'valid' ? livePostmasterFile : undefined;
  if (postmaster === undefined) context.controlData = undefined;
  const identity = postmaster === undefined ? undefined : `${postmaster.pid}@${postmaster.startEpochSeconds}`;
  const control = dataDirectory === 'valid' ? await controlDataFor(context, identity) : undefined;
  const recoverySignal = dataDirectory === 'valid' && hasRecoverySignal(dataDir);
  const base: LocalPostgres = {
    dataDirectory,
    running: postmaster !== undefined,
    accepting: false,
    inRecovery: recoverySignal,
    hasRecoveryConfig: recoverySignal,
    replication: [],
    pendingRestart: {},
    state: context.state,
    ...fromControlData(control),
  };
  if (!postmaster) {
    // The history file of the timeline pg_control names: the divergence check compares its fork with the leader's.
    const history = base.timeline === undefined ? undefined : readTimelineHistory(dataDir, base.timeline);
    return withDataDirectoryTimeline(dataDir, history === undefined ? base : { ...base, timelineHistory: history });
  }
  const desired = commandLineParameters(effectiveParameters(context));
  let status: Row | undefined;
  try {
    status = (await queryTwice(context, observationQuery, [Object.keys(desired)]))[0];
  } catch (error) {
    // A server that does not answer is running but not accepting; one that answers the
    // status alone failed on the rest, and that fails the observation.
    const answers = await context.local.query(statusQuery).then(
      (rows) => rows.length > 0,
      () => false,
    );
    if (answers) throw error;
    context.logger.debug({ error: (error as Error).message }, 'status query failed');
  }
  if (!status) return withDataDirectoryTimeline(dataDir, base);
  const inRecovery = status['in_recovery'] === true;
  const current = inRecoveryByControl(control) === inRecovery ? control : await controlDataFor(context, identity, inRecovery);
  const running = await runningState(context, status, desired);
  context.observedSlots = { slots: running.replicationSlots ?? [], inRecovery };
  return { ...base, ...fromControlData(current), ...running };
}

const normalize = (value: string): string => {
  const lower = value.trim().toLowerCase();
  if (['on', 'true', 'yes', '1'].includes(lower)) return 'on';
  if (['off', 'false', 'no', '0'].includes(lower)) return 'off';
  return lower;
};

/**
 * Command-line parameters win over every file, so pg_settings.pending_restart
 * never shows a change of them: compare what we would pass now with what runs.
 */
function commandLineDrift(desired: Record<string, string>, rows: ReadonlyArray<{ name: string; setting: string }>): Record<string, { old_value: string; new_value: string }> {
  const drift: Record<string, { old_value: string; new_value: string }> = {};
  for (const row of rows) {
    const wanted = desired[row.name];
    if (wanted !== undefined && normalize(wanted) !== normalize(row.setting)) drift[row.name] = { old_value: row.setting, new_value: wanted };
  }
  return drift;
}

/**
 * A data directory whose server does not answer, with the highest timeline it
 * knows: pg_control's, or a history file's in pg_wal. A primary that promoted
 * and stopped (or crashed) before the checkpoint after its promotion has the
 * new timeline's history file but pg_control still names the old timeline;
 * a race winner that took the same number would start a second history under it.
 */
function withDataDirectoryTimeline(dataDir: string, local: LocalPostgres): LocalPostgres {
  if (local.dataDirectory !== 'valid') return local;
  // History files (placeholders of timeline-reservation.ts among them) name their timeline in 8 hex digits.
  const newest = Math.max(local.timeline ?? 0, newestTimelineInWalDirectory(dataDir, /^[0-9A-F]{8}\.history$/) ?? 0);
  return newest > 0 ? { ...local, dataDirectoryTimeline: newest } : local;
}

/**
 * The highest timeline of a WAL segment in pg_wal. A standby writes a
 * timeline's segments only once it accepted that timeline (a standby whose
 * history went past the fork refuses the switch and never streams it), so WAL
 * received on the new timeline shows here even when the receiver is between
 * connections at the moment we look — else the received position (already on
 * the new timeline) next to the old timeline number reads as divergence.
 */
function newestSegmentTimeline(dataDir: string): number | undefined {
  return newestTimelineInWalDirectory(dataDir, /^[0-9A-F]{24}$/);
}

/** The highest timeline among pg_wal's file names that match `pattern` (each begins with the timeline in 8 hex digits). */
function newestTimelineInWalDirectory(dataDir: string, pattern: RegExp): number | undefined {
  let newest: number | undefined;
  try {
    for (const name of readdirSync(join(dataDir, 'pg_wal'))) {
      if (!pattern.test(name)) continue;
      const timeline = Number.parseInt(name.slice(0, 8), 16);
      if (newest === undefined || timeline > newest) newest = timeline;
    }
  } catch {
    return undefined;
  }
  return newest;
}

/**
 * A replica's timeline: the WAL receiver's while it streams, remembered for this postmaster
 * when the receiver is gone (the upstream demoting, a re-point). Recovery never goes back
 * to an older timeline, so the last restartpoint's timeline alone would understate it and
 * make a healthy replica look diverged from the new leader (rewind in the middle of a
 * switchover, the demoting leader then taking the lock back).
 */
function replicaTimeline(context: Context, status: Row, receiver: Row | null): number | undefined {
  const startTime = String(status['start_time'] ?? '');
  const received = toNumber(receiver?.['received_tli']);
  const checkpoint = toNumber(status['checkpoint_timeline']);
  const remembered = context.receivedTimeline?.postmasterStartTime === startTime ? context.receivedTimeline.timeline : undefined;
  const onDisk = newestSegmentTimeline(context.paths.dataDir);
  const timeline = [received, checkpoint, remembered, onDisk].reduce<number | undefined>((high, value) => (value === undefined ? high : Math.max(high ?? 0, value)), undefined);
  if (received !== undefined && startTime !== '') context.receivedTimeline = { postmasterStartTime: startTime, timeline: Math.max(received, remembered ?? 0) };
  return timeline;
}

/** What moves between cycles: WAL positions, the receiver's state, the timeline, the standbys streaming from us. */
export type ReplicationPositions = Pick<
  LocalPostgres,
  'inRecovery' | 'timeline' | 'walPosition' | 'receivedLsn' | 'replayedLsn' | 'replicationState' | 'replayPaused' | 'replication'
>;

/** `replication`: the rows of replicationQuery when already read (a primary's), else they are queried here. */
async function positionsFrom(context: Context, status: Row, replication?: readonly Row[]): Promise<ReplicationPositions> {
  const inRecovery = status['in_recovery'] === true;
  const received = toNumber(status['received']);
  const replayed = toNumber(status['replayed']);
  const receiver = status['wal_receiver'] as Row | null;
  const walPosition = inRecovery ? Math.max(received ?? 0, replayed ?? 0) : toNumber(status['wal_position']);
  const timeline = inRecovery ? replicaTimeline(context, status, receiver) : toNumber(status['timeline']);
  const replicationRows = inRecovery ? [] : (replication ?? (await queryTwice(context, replicationQuery)));
  return {
    inRecovery,
    ...(timeline !== undefined ? { timeline } : {}),
    ...(walPosition !== undefined ? { walPosition } : {}),
    ...(received !== undefined ? { receivedLsn: received } : {}),
    ...(replayed !== undefined ? { replayedLsn: replayed } : {}),
    ...(inRecovery ? { replicationState: receiver?.['status'] === 'streaming' ? 'streaming' : 'in archive recovery' } : {}),
    ...(inRecovery ? { replayPaused: status['replay_paused'] === true } : {}),
    replication: replicationRows.map((row) => replicationRow(row, walPosition)),
  };
}

/**
 * Only the replication positions, from the running server: two queries, no
 * pg_controldata and no file reads, for answers that must be live (GET
 * /patroni). Undefined when the server is not running or does not answer.
 */
export async function observePositions(context: Context): Promise<ReplicationPositions | undefined> {
  if (livePostmaster(context.paths.dataDir) === undefined) return undefined;
  const status = (await queryTwice(context, statusQuery).catch(() => []))[0];
  return status === undefined ? undefined : positionsFrom(context, status);
}

const rowsOf = (value: unknown): Row[] => (Array.isArray(value) ? (value as Row[]) : []);

/** `status`: a row of observationQuery; `desired`: the command-line parameters we would pass now. */
async function runningState(context: Context, status: Row, desired: Record<string, string>): Promise<Partial<LocalPostgres>> {
  const positions = await positionsFrom(context, status, rowsOf(status['replication']));
  const { inRecovery, timeline } = positions;
  const receiver = status['wal_receiver'] as Row | null;
  const pendingRestart: Record<string, { old_value: string; new_value: string }> = {};
  for (const row of rowsOf(status['pending_restart'])) pendingRestart[String(row['name'])] = { old_value: String(row['old_value']), new_value: String(row['new_value']) };
  Object.assign(pendingRestart, commandLineDrift(desired, rowsOf(status['command_line']) as Array<{ name: string; setting: string }>));
  const history = timeline !== undefined ? ownHistory(context, timeline, !inRecovery, String(status['start_time'] ?? '')) : undefined;
  const conninfo = receiver?.['conninfo'] ? parseConninfo(String(receiver['conninfo'])) : undefined;
  // While the receiver is not connected sender_host is null: its conninfo still names the upstream (host:port, as core compares).
  const configuredHost = conninfo?.['host'] !== undefined ? `${conninfo['host']}:${conninfo['port'] ?? '5432'}` : undefined;
  const followingHost = receiver?.['sender_host'] ? `${String(receiver['sender_host'])}:${String(receiver['sender_port'])}` : configuredHost;
  return {
    accepting: true,
    ...positions,
    ...(history ? { timelineHistory: history } : {}),
    ...(followingHost ? { followingHost } : {}),
    ...(status['primary_slot_name'] ? { primarySlotName: String(status['primary_slot_name']) } : {}),
    synchronousStandbyNames: String(status['sync_names'] ?? ''),
    ...(status['synchronous_commit'] ? { synchronousCommit: String(status['synchronous_commit']) } : {}),
    replicationSlots: slotsFromColumn(status['slots']),
    pendingRestart,
    ...(status['version'] ? { serverVersion: Number(status['version']) } : {}),
    ...(status['start_time'] ? { postmasterStartTime: String(status['start_time']) } : {}),
  };
}
