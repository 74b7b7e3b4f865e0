/**
 * Parameters as the running major version spells them. A YAML written for an
 * older (or newer) PostgreSQL must not stop the server from starting: the
 * renamed settings are converted the way Patroni converts them, and a
 * parameter the server does not know is dropped with a warning instead of
 * being written into postgresql.conf (where PostgreSQL would refuse to start).
 */
import { parseBoolean, parseInteger } from '@pgwarden/core';
import type { ParameterValue } from './config-files.js';

/** `PG_VERSION` content ("15", "9.6") as server_version_num's major part (150000, 90600); 0 when unreadable. */
export function majorVersionNumber(pgVersionFile: string): number {
  const match = /^\s*(\d+)(?:\.(\d+))?\s*$/.exec(pgVersionFile);
  if (!match) return 0;
  const major = Number(match[1]);
  return major >= 10 ? major * 10000 : major * 10000 + Number(match[2] ?? 0) * 100;
}

/**
 * wal_keep_segments (< 13) and wal_keep_size (13+) converted into each other
 * assuming 16 MB segments, as Patroni does; an explicit value of the right
 * spelling wins over a converted one.
 */
function convertWalKeep(parameters: Record<string, ParameterValue>, majorVersion: number): void {
  const segments = parameters['wal_keep_segments'];
  const size = parameters['wal_keep_size'];
  delete parameters['wal_keep_segments'];
  delete parameters['wal_keep_size'];
  if (majorVersion >= 130000) {
    parameters['wal_keep_size'] = size ?? `${(parseInteger(segments ?? 8) ?? 8) * 16}MB`;
  } else {
    parameters['wal_keep_segments'] = segments ?? Math.floor(((parseInteger(size ?? '128MB', 'MB') ?? 0) + 8) / 16);
  }
}

export interface VersionedParameters {
  readonly parameters: Record<string, ParameterValue>;
  /** Names dropped because the server does not know them. */
  readonly removed: readonly string[];
}

/**
 * `parameters` for `majorVersion` (0 = unknown: nothing converted). `known`
 * is the server's parameter list (`postgres --describe-config`); names with a
 * dot are extension settings and always kept.
 */
export function adaptParametersToVersion(
  input: Readonly<Record<string, ParameterValue>>,
  majorVersion: number,
  known: ReadonlySet<string> | undefined,
): VersionedParameters {
  const parameters = { ...input };
  if (majorVersion === 0) return { parameters, removed: [] };
  const walLevel = parameters['wal_level'];
  if (majorVersion >= 90600 && walLevel === 'hot_standby') parameters['wal_level'] = 'replica';
  if (majorVersion < 90600 && walLevel === 'replica') parameters['wal_level'] = 'hot_standby';
  convertWalKeep(parameters, majorVersion);
  const removed: string[] = [];
  if (known) {
    for (const name of Object.keys(parameters)) {
      if (!name.includes('.') && !known.has(name.toLowerCase())) {
        removed.push(name);
        delete parameters[name];
      }
    }
  }
  return { parameters, removed };
}

/**
 * Recovery settings for `majorVersion`: the promotion trigger file's name of
 * that version, pause_at_recovery_target turned into recovery_target_action
 * (9.5+), and settings the server does not know dropped.
 */
export function adaptRecoveryToVersion(
  input: Readonly<Record<string, ParameterValue>>,
  majorVersion: number,
  known: ReadonlySet<string> | undefined,
): VersionedParameters {
  const recovery = { ...input };
  if (majorVersion === 0) return { parameters: recovery, removed: [] };
  const [goodTrigger, wrongTrigger] = majorVersion >= 120000 ? ['promote_trigger_file', 'trigger_file'] : ['trigger_file', 'promote_trigger_file'];
  const trigger = recovery[wrongTrigger];
  delete recovery[wrongTrigger];
  if (trigger !== undefined && trigger !== '' && recovery[goodTrigger] === undefined) recovery[goodTrigger] = trigger;
  if (majorVersion >= 90500) {
    const pause = recovery['pause_at_recovery_target'];
    delete recovery['pause_at_recovery_target'];
    const paused = pause === undefined ? undefined : parseBoolean(pause);
    if (paused !== undefined && recovery['recovery_target_action'] === undefined) recovery['recovery_target_action'] = paused ? 'pause' : 'promote';
  } else {
    const action = recovery['recovery_target_action'];
    delete recovery['recovery_target_action'];
    if (String(action ?? '').toLowerCase() === 'promote') recovery['pause_at_recovery_target'] ??= 'false';
  }
  if (majorVersion >= 120000) delete recovery['standby_mode'];
  const removed: string[] = [];
  if (known && majorVersion >= 120000) {
    for (const name of Object.keys(recovery)) {
      if (!known.has(name.toLowerCase())) {
        removed.push(name);
        delete recovery[name];
      }
    }
  }
  return { parameters: recovery, removed };
}
