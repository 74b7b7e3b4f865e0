/**
 * Turns options + managed state into the files PostgreSQL reads: the
 * effective parameters (Patroni's command-line set included), the recovery
 * section for a standby, pg_hba/pg_ident, the signal file and pgpass.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FollowTarget } from '@pgwarden/core';
import type { Context } from './context.js';
import {
  commandLineDefaults,
  isRecoveryParameter,
  preserveBaseConf,
  renderLinesFile,
  renderPostgresqlConf,
  writeOwnedFile,
  writeRecoverySignal,
  type ParameterValue,
  type Parameters,
} from './files/config-files.js';
import { credentialFields, formatConninfo, parseConnUrl } from './files/conninfo.js';
import { writePgpass, type PgpassEntry } from './files/pgpass.js';
import { slotNameForMember } from '@pgwarden/core';
import { adaptParametersToVersion, adaptRecoveryToVersion } from './files/version-parameters.js';
import { knownParameters, readMajorVersion } from './server-catalog.js';

export function effectiveParameters(context: Context): Record<string, ParameterValue> {
  const { options } = context;
  const parameters: Record<string, ParameterValue> = { ...commandLineDefaults };
  for (const [name, value] of Object.entries({ ...options.parameters, ...context.managedParameters })) {
    if (!isRecoveryParameter(name)) parameters[name] = value;
  }
  parameters['listen_addresses'] = context.listenHosts.join(',');
  parameters['port'] = context.port;
  parameters['cluster_name'] = options.scope;
  parameters['hba_file'] ??= context.paths.hbaFile;
  parameters['ident_file'] ??= context.paths.identFile;
  return forServerVersion(context, parameters, adaptParametersToVersion);
}

/** `parameters` converted for the data directory's major version; unknown names dropped with a warning. */
function forServerVersion(
  context: Context,
  parameters: Readonly<Record<string, ParameterValue>>,
  adapt: typeof adaptParametersToVersion,
): Record<string, ParameterValue> {
  const majorVersion = readMajorVersion(context.paths.dataDir);
  const adapted = adapt(parameters, majorVersion, majorVersion === 0 ? undefined : knownParameters(context));
  for (const name of adapted.removed) {
    context.logger.warn({ parameter: name, value: String(parameters[name]) }, 'removing a parameter this PostgreSQL version does not know');
  }
  return adapted.parameters;
}

/** The `--name=value` arguments of the postmaster (they win over every file and ALTER SYSTEM). */
export function commandLineParameters(parameters: Readonly<Record<string, ParameterValue>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of [...Object.keys(commandLineDefaults), 'listen_addresses', 'port', 'cluster_name']) {
    const value = parameters[name];
    if (value !== undefined) result[name] = typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value);
  }
  return result;
}

/** primary_conninfo for following `target`, password left to the pgpass file. */
export function primaryConninfo(context: Context, target: FollowTarget): string | undefined {
  if (!target.connUrl) return undefined;
  const endpoint = parseConnUrl(target.connUrl);
  const replication = context.options.authentication.replication;
  return formatConninfo({
    dbname: endpoint.dbname ?? context.options.database,
    ...credentialFields(replication),
    passfile: context.paths.pgpass,
    host: endpoint.host,
    port: endpoint.port,
    sslmode: replication.sslmode ?? 'prefer',
    application_name: context.options.name,
    ...(context.options.krbsrvname !== undefined ? { krbsrvname: context.options.krbsrvname } : {}),
    gssencmode: replication.gssencmode ?? 'prefer',
    channel_binding: replication.channel_binding ?? 'prefer',
  });
}

export function recoveryParameters(context: Context, target: FollowTarget | undefined): Parameters {
  const recovery: Record<string, ParameterValue> = {
    recovery_target: '',
    recovery_target_lsn: '',
    recovery_target_name: '',
    recovery_target_time: '',
    recovery_target_xid: '',
    recovery_target_timeline: 'latest',
  };
  // Recovery settings written under `parameters` count as recovery settings (spec/config.md §4.2); recovery_conf wins.
  const fromParameters = Object.fromEntries(Object.entries(context.options.parameters).filter(([name]) => isRecoveryParameter(name)));
  for (const [name, value] of Object.entries({ ...fromParameters, ...context.options.recovery_conf })) {
    if (!/^(recovery_target.*|primary_conninfo|primary_slot_name|standby_mode)$/.test(name)) recovery[name] = value;
  }
  if (target) {
    const conninfo = primaryConninfo(context, target);
    if (conninfo) recovery['primary_conninfo'] = conninfo;
    if (target.primarySlotName) recovery['primary_slot_name'] = target.primarySlotName;
    else if (context.options.use_slots && conninfo) recovery['primary_slot_name'] = slotNameForMember(context.options.name);
    if (target.restoreCommand) recovery['restore_command'] = target.restoreCommand;
    if (target.archiveCleanupCommand) recovery['archive_cleanup_command'] = target.archiveCleanupCommand;
    if (target.recoveryMinApplyDelay) recovery['recovery_min_apply_delay'] = target.recoveryMinApplyDelay;
  }
  return forServerVersion(context, recovery, adaptRecoveryToVersion);
}

/** Every credential we know, for each host it may be used against. */
export function writePasswordFile(context: Context, targets: readonly FollowTarget[] = []): void {
  const { authentication } = context.options;
  const users = [authentication.superuser, authentication.replication, authentication.rewind].filter((user) => user !== undefined);
  const entries: PgpassEntry[] = [];
  const hosts = [{ host: '*', port: context.port }];
  for (const target of targets) {
    if (target.connUrl) hosts.push(parseConnUrl(target.connUrl));
  }
  for (const { host, port } of hosts) {
    for (const user of users) entries.push({ host, port, username: user.username, ...(user.password !== undefined ? { password: user.password } : {}) });
  }
  writePgpass(context.paths.pgpass, entries, context.user);
}

function copyIfMissing(from: string, to: string, user: Context['user']): void {
  if (existsSync(to) || !existsSync(from)) return;
  writeOwnedFile(to, readFileSync(from, 'utf8'), user);
}

/** Write postgresql.conf (+ base), pg_hba, pg_ident, the signal file; `recovery` undefined = primary. */
export function writeConfiguration(context: Context, recovery: Parameters | undefined, signal: 'standby' | 'recovery' = 'standby'): void {
  const { options, paths, user } = context;
  const includeFile = options.custom_conf ?? preserveBaseConf(paths.configDir, paths.dataDir, options.config_base_name, user);
  if (!existsSync(includeFile)) writeOwnedFile(includeFile, '', user);
  const parameters = effectiveParameters(context);
  if (paths.configDir !== paths.dataDir) {
    // initdb and pg_basebackup leave these in the data directory; with a separate config_dir we keep them there.
    for (const name of ['pg_hba.conf', 'pg_ident.conf']) copyIfMissing(join(paths.dataDir, name), join(paths.configDir, name), user);
  }
  writeOwnedFile(paths.configFile, renderPostgresqlConf({ includeFile, parameters, ...(recovery ? { recovery } : {}) }), user);
  if (options.pg_hba && parameters['hba_file'] === paths.hbaFile) writeOwnedFile(paths.hbaFile, renderLinesFile(options.pg_hba), user);
  if (parameters['ident_file'] === paths.identFile && (options.pg_ident || !existsSync(paths.identFile))) {
    writeOwnedFile(paths.identFile, renderLinesFile(options.pg_ident ?? []), user);
  }
  writeRecoverySignal(paths.dataDir, recovery ? signal : 'none', user);
  context.recovery = recovery;
}

/** After initdb: append bootstrap.pg_hba to initdb's pg_hba.conf unless postgresql.pg_hba owns the file. */
export function appendBootstrapHba(context: Context): void {
  const lines = context.options.bootstrap.pg_hba;
  if (!lines || context.options.pg_hba) return;
  const file = `${context.paths.dataDir}/pg_hba.conf`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  appendFileSync(file, `${current.endsWith('\n') || current === '' ? '' : '\n'}${lines.join('\n')}\n`);
}
