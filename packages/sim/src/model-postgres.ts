/**
 * The model PostgreSQL of one member: data directory, postmaster, role,
 * timeline and WAL (with lineage), whom it streams from, and
 * synchronous_standby_names. Operations are instantaneous state changes;
 * the agent model spreads them over model time (background actions).
 */
import type { HistoryLine, LocalPostgres, ReplicationConnection } from '@pgwarden/core';
import { fork, type Wal } from './wal.js';

export interface PgState {
  dataDirectory: 'empty' | 'valid';
  running: boolean;
  inRecovery: boolean;
  hasRecoveryConfig: boolean;
  sysid?: string;
  timeline: number;
  history: HistoryLine[];
  wal: Wal;
  /** Member name it streams from (primary_conninfo), if any. */
  follow?: string;
  controlState: string;
  /**
   * pg_control's "Latest checkpoint location": the end of WAL at a clean
   * stop, a bootstrap, a base backup, a promotion, a crash recovery or a
   * CHECKPOINT; a stop that is not clean leaves it where it was, behind WAL
   * written since.
   */
  checkpointLsn: number;
  synchronousStandbyNames: string;
  /** When its last promotion ended (model time, ISO): the history file's mtime, which a primary stamps its own /history line with. */
  promotedAt?: string;
}

export function emptyPg(): PgState {
  return {
    dataDirectory: 'empty',
    running: false,
    inRecovery: false,
    hasRecoveryConfig: false,
    timeline: 0,
    history: [],
    wal: { segments: [], end: 0 },
    controlState: '',
    checkpointLsn: 0,
    synchronousStandbyNames: '',
  };
}

export function isWritablePrimary(pg: PgState): boolean {
  return pg.running && !pg.inRecovery;
}

/** Names synchronous_standby_names waits for; '*' = any. */
export function syncNames(value: string): { any: boolean; names: string[] } {
  const trimmed = value.trim();
  if (trimmed === '') return { any: false, names: [] };
  if (trimmed === '*') return { any: true, names: [] };
  const inner = /\((.*)\)/.exec(trimmed)?.[1] ?? trimmed;
  return { any: false, names: inner.split(',').map((name) => name.trim().replace(/^"|"$/g, '')).filter((name) => name !== '') };
}

export function isNamedSync(primary: PgState, replicaName: string): boolean {
  const parsed = syncNames(primary.synchronousStandbyNames);
  return parsed.any || parsed.names.includes(replicaName);
}

export function bootstrapPg(pg: PgState, sysid: string, segmentId: number): void {
  pg.dataDirectory = 'valid';
  pg.sysid = sysid;
  pg.timeline = 1;
  pg.history = [];
  pg.wal = { segments: [{ id: segmentId, start: 0 }], end: 0x1000000 };
  pg.checkpointLsn = pg.wal.end;
  pg.running = true;
  pg.inRecovery = false;
  pg.hasRecoveryConfig = false;
  pg.controlState = 'in production';
  pg.follow = undefined;
  pg.synchronousStandbyNames = '';
}

export function copyFrom(pg: PgState, source: PgState, follow: string | undefined): void {
  pg.dataDirectory = 'valid';
  pg.sysid = source.sysid;
  pg.timeline = source.timeline;
  pg.history = [...source.history];
  pg.wal = source.wal;
  pg.checkpointLsn = source.wal.end;
  pg.running = true;
  pg.inRecovery = true;
  pg.hasRecoveryConfig = true;
  pg.controlState = 'in archive recovery';
  pg.follow = follow;
  pg.synchronousStandbyNames = '';
}

/**
 * A standby receives `source`'s WAL up to its end. Past a timeline switch it
 * takes the new timeline and its history as well: PostgreSQL fetches the
 * history file of a timeline before it streams WAL of it, so a standby never
 * holds WAL of a timeline its own history does not know.
 */
export function receiveWal(pg: PgState, source: PgState): void {
  pg.wal = source.wal;
  if (source.timeline > pg.timeline) {
    pg.timeline = source.timeline;
    pg.history = [...source.history];
  }
}

export function stopPg(pg: PgState, clean: boolean): void {
  if (!pg.running) return;
  pg.running = false;
  if (clean) {
    pg.controlState = pg.inRecovery ? 'shut down in recovery' : 'shut down';
    pg.checkpointLsn = pg.wal.end;
  } else {
    pg.controlState = pg.inRecovery ? 'in archive recovery' : 'in production';
  }
}

export function startPg(pg: PgState, asPrimary: boolean, follow: string | undefined): boolean {
  if (pg.dataDirectory !== 'valid') return false;
  pg.running = true;
  if (asPrimary && !pg.hasRecoveryConfig) {
    pg.inRecovery = false;
    pg.controlState = 'in production';
    pg.follow = undefined;
  } else {
    pg.hasRecoveryConfig = true;
    pg.inRecovery = true;
    pg.controlState = 'in archive recovery';
    pg.follow = follow;
  }
  return true;
}

/** `skipTimelinesThrough`: placeholder history files make PostgreSQL name the new timeline above it. */
export function promotePg(pg: PgState, segmentId: number, skipTimelinesThrough: number | undefined, atIso: string): void {
  pg.history = [...pg.history, [pg.timeline, pg.wal.end, 'no recovery target specified']];
  pg.promotedAt = atIso;
  pg.timeline = Math.max(pg.timeline, skipTimelinesThrough ?? 0) + 1;
  pg.wal = fork(pg.wal, segmentId);
  pg.checkpointLsn = pg.wal.end;
  pg.inRecovery = false;
  pg.hasRecoveryConfig = false;
  pg.controlState = 'in production';
  pg.follow = undefined;
}

/**
 * `self`: a primary's last history line, its own promotion (one that skipped
 * numbers too), carries the timestamp and its name as postgres-ctl's
 * observation stamps it (Patroni's /history format).
 */
export function observePg(pg: PgState, hostOf: (name: string) => string, replication: readonly ReplicationConnection[], self: string): LocalPostgres {
  if (pg.dataDirectory === 'empty') {
    return { dataDirectory: 'empty', running: false, accepting: false, inRecovery: false, hasRecoveryConfig: false, replication: [], pendingRestart: {} };
  }
  return {
    dataDirectory: 'valid',
    running: pg.running,
    accepting: pg.running,
    inRecovery: pg.inRecovery,
    hasRecoveryConfig: pg.hasRecoveryConfig,
    ...(pg.sysid === undefined ? {} : { systemIdentifier: pg.sysid }),
    timeline: pg.timeline,
    walPosition: pg.wal.end,
    receivedLsn: pg.wal.end,
    replayedLsn: pg.wal.end,
    controlState: pg.controlState,
    checkpointLsn: pg.checkpointLsn,
    rewindable: true,
    ...(pg.follow === undefined || !pg.inRecovery ? {} : { followingHost: hostOf(pg.follow) }),
    replication,
    synchronousStandbyNames: pg.synchronousStandbyNames,
    pendingRestart: {},
    ...(pg.history.length > 0 ? { timelineHistory: stampedHistory(pg, self) } : {}),
    ...(pg.running ? {} : { dataDirectoryTimeline: pg.timeline }),
  };
}

function stampedHistory(pg: PgState, self: string): HistoryLine[] {
  const last = pg.history[pg.history.length - 1];
  if (last === undefined || !pg.running || pg.inRecovery || last[0] >= pg.timeline) return pg.history;
  return [...pg.history.slice(0, -1), [...last, pg.promotedAt ?? '', self] as HistoryLine];
}
