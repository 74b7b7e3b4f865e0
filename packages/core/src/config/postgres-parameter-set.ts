/**
 * The parameter set PostgreSQL is started with, for one server version:
 * listen_addresses/port from `postgresql.listen`, cluster_name from `scope`,
 * wal_level spelled for the version, wal_keep_* converted between segments and
 * size, parameters the version does not know dropped.
 */
import type { EffectiveConfig } from './effective-config.js';
import { splitHostPort } from './fields.js';
import { COMMAND_LINE_PARAMETERS, formatParameterValue } from './postgres-parameters.js';
import { parseInteger } from './value-parsers.js';

export interface PostgresParameterSet {
  /** Everything for postgresql.conf, as PostgreSQL text values. */
  readonly parameters: Readonly<Record<string, string>>;
  /** The subset passed as `--name=value` on the postgres command line. */
  readonly commandLine: Readonly<Record<string, string>>;
}

const CONFIG_FILE_ONLY = new Set(['wal_keep_segments', 'wal_keep_size']);

function convertWalKeep(parameters: Record<string, string>, serverVersionNum: number): void {
  const segments = parameters['wal_keep_segments'];
  const size = parameters['wal_keep_size'];
  if (serverVersionNum >= 130000) {
    if (size === undefined && segments !== undefined) parameters['wal_keep_size'] = `${(parseInteger(segments) ?? 8) * 16}MB`;
    parameters['wal_keep_size'] ??= '128MB';
    delete parameters['wal_keep_segments'];
  } else {
    if (segments === undefined && size !== undefined) parameters['wal_keep_segments'] = String(Math.floor(((parseInteger(size, 'MB') ?? 128) + 8) / 16));
    parameters['wal_keep_segments'] ??= '8';
    delete parameters['wal_keep_size'];
  }
}

/** The parameters for `serverVersionNum` (e.g. 150004 for PostgreSQL 15.4). */
export function buildPostgresParameters(config: EffectiveConfig, serverVersionNum: number): PostgresParameterSet {
  const parameters: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.postgresql.parameters)) parameters[name] = formatParameterValue(value);
  const listen = splitHostPort(config.postgresql.listen);
  parameters['listen_addresses'] = listen?.host ?? 'localhost';
  parameters['port'] = String(listen?.port ?? 5432);
  parameters['cluster_name'] = config.scope;
  const walLevel = parameters['wal_level'];
  if (serverVersionNum >= 90600 && walLevel === 'hot_standby') parameters['wal_level'] = 'replica';
  if (serverVersionNum < 90600 && walLevel === 'replica') parameters['wal_level'] = 'hot_standby';
  convertWalKeep(parameters, serverVersionNum);
  const commandLine: Record<string, string> = {};
  for (const [name, spec] of Object.entries(COMMAND_LINE_PARAMETERS)) {
    const value = parameters[name];
    if (value === undefined) continue;
    if (serverVersionNum < spec.minVersion) delete parameters[name];
    else if (!CONFIG_FILE_ONLY.has(name)) commandLine[name] = value;
  }
  return { parameters, commandLine };
}
