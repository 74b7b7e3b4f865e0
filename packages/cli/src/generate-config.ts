/**
 * `pgwarden --generate-config [--dsn DSN] [FILE]`: a Patroni-format YAML for
 * a PostgreSQL server that already runs, as Patroni's option writes it (the
 * facts: spec/config.md §2 and Patroni's config_generator). It connects as a
 * superuser, takes the data directory, `cluster_name` (the scope), listen
 * address and port, the parameters set in configuration files, on the
 * command line or in the environment, the bin directory of the running
 * postmaster, and `pg_hba.conf` / `pg_ident.conf` when they are the data
 * directory's own. Commands (`archive_command`, `restore_command`...) and the
 * file locations stay in the local `postgresql.parameters`; every other
 * parameter goes to `bootstrap.dcs`, where cluster-wide settings live.
 * Values nobody can know are written as `#FIXME`.
 *
 * Departures from Patroni, on purpose: no password prompt (a script can run
 * it; the password comes from the DSN or PGPASSWORD, and the connection
 * error says so); an existing FILE is never overwritten; `log` names only
 * the level (pgwarden logs JSON lines unless told `type: plain`).
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import pg from 'pg';
import { stringify } from 'yaml';
import { COMMAND_LINE_PARAMETERS, defaultDynamicParameters, PgwardenError, readEnvironmentConfig } from '@pgwarden/core';

export const NO_VALUE = '#FIXME';

/** Parameters that stay in the member's own file: commands (security) and file locations. */
const LOCAL_PARAMETERS = new Set([
  'archive_command',
  'restore_command',
  'archive_cleanup_command',
  'recovery_end_command',
  'ssl_passphrase_command',
  'hba_file',
  'ident_file',
  'config_file',
]);

/** libpq connection keywords that become `postgresql.authentication.superuser`, with their environment variables. */
const AUTH_PARAMETERS: Readonly<Record<string, string | undefined>> = {
  user: 'PGUSER',
  password: 'PGPASSWORD',
  sslmode: 'PGSSLMODE',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslpassword: undefined,
  sslrootcert: 'PGSSLROOTCERT',
  sslcrl: 'PGSSLCRL',
  sslcrldir: 'PGSSLCRLDIR',
  gssencmode: 'PGGSSENCMODE',
  channel_binding: 'PGCHANNELBINDING',
};

function failure(message: string): PgwardenError {
  return new PgwardenError('generate-config', message);
}

/** A libpq connection string, URI (`postgresql://…`) or `key=value` pairs, as its keywords. */
export function parseDsn(dsn: string): Record<string, string> {
  const text = dsn.trim();
  if (/^postgres(ql)?:\/\//.test(text)) return parseDsnUri(text);
  const result: Record<string, string> = {};
  const pattern = /\s*([A-Za-z_]+)\s*=\s*('((?:[^'\\]|\\.)*)'|[^\s']*)/y;
  let index = 0;
  while (index < text.length) {
    pattern.lastIndex = index;
    const match = pattern.exec(text);
    if (match === null) throw failure('Failed to parse DSN string');
    const [, key, raw, quoted] = match;
    result[key!] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : raw!;
    index = pattern.lastIndex;
    while (index < text.length && /\s/.test(text[index]!)) index += 1;
  }
  if (Object.keys(result).length === 0) throw failure('Failed to parse DSN string');
  return result;
}

function parseDsnUri(text: string): Record<string, string> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw failure('Failed to parse DSN string');
  }
  const result: Record<string, string> = {};
  if (url.hostname !== '') result['host'] = decodeURIComponent(url.hostname.replace(/^\[(.*)\]$/, '$1'));
  if (url.port !== '') result['port'] = url.port;
  if (url.username !== '') result['user'] = decodeURIComponent(url.username);
  if (url.password !== '') result['password'] = decodeURIComponent(url.password);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database !== '') result['dbname'] = database;
  for (const [key, value] of url.searchParams) result[key] = value;
  return result;
}

export interface RunningInstance {
  /** `server_version_num`. */
  readonly serverVersion: number;
  /** name → current_setting(name) of the parameters Patroni takes over. */
  readonly settings: ReadonlyMap<string, string>;
}

/** The parameters the generator always reads, set or not: the file locations and the command-line ones. */
export function requiredParameters(): string[] {
  return ['hba_file', 'ident_file', 'config_file', 'data_directory', ...Object.keys(COMMAND_LINE_PARAMETERS)];
}

function superuserParameters(dsn: Readonly<Record<string, string>>, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, variable] of Object.entries(AUTH_PARAMETERS)) {
    const value = dsn[key] ?? (variable === undefined ? undefined : env[variable]);
    if (value !== undefined && value !== '') result[key] = value;
  }
  const { user, ...rest } = result;
  return { username: user ?? userInfo().username, ...rest };
}

/** Reads the running server: superuser check, version, and the parameters to carry over. */
export async function readRunningInstance(dsn: Readonly<Record<string, string>>, env: Readonly<Record<string, string | undefined>>): Promise<RunningInstance> {
  const auth = superuserParameters(dsn, env);
  const host = dsn['host'] ?? env['PGHOST'] ?? '/var/run/postgresql';
  const port = Number(dsn['port'] ?? env['PGPORT'] ?? 5432);
  const client = new pg.Client({
    host,
    port,
    user: auth['username'],
    database: dsn['dbname'] ?? env['PGDATABASE'] ?? 'postgres',
    ...(auth['password'] === undefined ? {} : { password: auth['password'] }),
    ...(auth['sslmode'] !== undefined && auth['sslmode'] !== 'disable' ? { ssl: { rejectUnauthorized: ['verify-ca', 'verify-full'].includes(auth['sslmode']) } } : {}),
    connectionTimeoutMillis: Number(dsn['connect_timeout'] ?? env['PGCONNECT_TIMEOUT'] ?? 10) * 1000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const hint = auth['password'] === undefined && /password|authentication/i.test(message) ? ' (no password given: put it in --dsn or PGPASSWORD)' : '';
    throw failure(`Failed to establish PostgreSQL connection: ${message}${hint}`);
  }
  try {
    const superuser = await client.query<{ value: string }>("SELECT pg_catalog.current_setting('is_superuser') AS value");
    if (superuser.rows[0]?.value !== 'on') throw failure('The provided user does not have superuser privilege');
    const version = await client.query<{ value: string }>("SELECT pg_catalog.current_setting('server_version_num') AS value");
    const rows = await client.query<{ name: string; value: string }>(
      `SELECT name, pg_catalog.current_setting(name) AS value FROM pg_catalog.pg_settings
        WHERE context <> 'internal'
          AND source IN ('configuration file', 'command line', 'environment variable')
          AND category <> 'Write-Ahead Log / Recovery Target'
          AND setting <> '(disabled)'
           OR name = ANY($1)`,
      [requiredParameters()],
    );
    return { serverVersion: Number(version.rows[0]?.value ?? 0), settings: new Map(rows.rows.map((row) => [row.name, row.value])) };
  } catch (error) {
    if (error instanceof PgwardenError) throw error;
    throw failure(`Failed to read the server's settings: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The directory of the running postmaster's executable, through `postmaster.pid` and /proc. */
export function binDirOfRunningPostmaster(dataDir: string): string {
  let pid: number;
  try {
    const first = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]?.trim() ?? '';
    pid = Number(first);
    if (first === '' || !Number.isInteger(pid)) throw failure('Failed to obtain postmaster pid from postmaster.pid file');
  } catch (error) {
    if (error instanceof PgwardenError) throw error;
    throw failure(`Error while reading postmaster.pid file: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return dirname(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    throw failure("Obtained postmaster pid doesn't exist.");
  }
}

const HBA_TYPES = ['local', 'host', 'hostssl', 'hostnossl', 'hostgssenc', 'hostnogssenc'];

/** Non-empty lines of a file, trimmed. */
function strippedLines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** `pg_hba` and `pg_ident` from the data directory's own files (a file kept elsewhere is left where it is). */
export function readAccessFiles(dataDir: string, parameters: Readonly<Record<string, string>>, serverVersion: number): { pg_hba?: string[]; pg_ident?: string[] } {
  const result: { pg_hba?: string[]; pg_ident?: string[] } = {};
  const types = serverVersion >= 160000 ? [...HBA_TYPES, 'include', 'include_if_exists', 'include_dir'] : HBA_TYPES;
  const hbaPath = join(dataDir, 'pg_hba.conf');
  if (parameters['hba_file'] === hbaPath) {
    try {
      result.pg_hba = strippedLines(hbaPath).filter((line) => types.includes(line.split(/\s+/)[0] ?? ''));
    } catch (error) {
      throw failure(`Failed to read pg_hba.conf: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const identPath = join(dataDir, 'pg_ident.conf');
  if (parameters['ident_file'] === identPath) {
    try {
      const lines = strippedLines(identPath).filter((line) => !line.startsWith('#'));
      if (lines.length > 0) result.pg_ident = lines;
    } catch (error) {
      throw failure(`Failed to read pg_ident.conf: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return result;
}

export interface GeneratedConfigInput {
  readonly hostname: string;
  /** The address other members reach this host on. */
  readonly address: string;
  readonly instance: RunningInstance;
  readonly superuser: Readonly<Record<string, string>>;
  /** The DSN's (or PGPORT's) port, the address members connect to. */
  readonly connectPort: string | undefined;
  readonly binDir: string;
  readonly accessFiles: { pg_hba?: string[]; pg_ident?: string[] };
  /** PATRONI_* values, laid over the template as Patroni does. */
  readonly environment: Readonly<Record<string, unknown>>;
}

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function overlay(target: Tree, source: Readonly<Tree>): Tree {
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    target[key] = isTree(current) && isTree(value) ? overlay({ ...current }, value) : value;
  }
  return target;
}

/** The configuration as a tree, built as Patroni's RunningClusterConfigGenerator builds it. */
export function buildGeneratedConfig(input: GeneratedConfigInput): Tree {
  const parameters: Tree = { ...defaultDynamicParameters() };
  const config: Tree = {
    scope: NO_VALUE,
    name: input.hostname,
    restapi: { connect_address: `${input.address}:8008`, listen: `${input.address}:8008` },
    log: { level: 'INFO' },
    bootstrap: { dcs: { loop_wait: 10, retry_timeout: 10, ttl: 30, postgresql: { use_slots: true, parameters } } },
    postgresql: { data_dir: NO_VALUE, connect_address: `${input.address}:5432`, listen: `${input.address}:5432`, bin_dir: '' },
    tags: { failover_priority: 1, noloadbalance: false, clonefrom: true, nosync: false, nostream: false },
  };
  overlay(config, input.environment);
  const postgresql = config['postgresql'] as Tree;
  const local: Record<string, string> = {};
  let listenAddresses = '';
  let port = '';
  for (const [name, value] of input.instance.settings) {
    if (name === 'data_directory') postgresql['data_dir'] = value;
    else if (name === 'cluster_name') {
      if (value !== '') config['scope'] = value;
    } else if (LOCAL_PARAMETERS.has(name)) local[name] = value;
    else if (name === 'listen_addresses') listenAddresses = value;
    else if (name === 'port') port = value;
    else parameters[name] = value;
  }
  postgresql['parameters'] = { ...(isTree(postgresql['parameters']) ? postgresql['parameters'] : {}), ...local };
  const connectHost = String(postgresql['connect_address']).split(':')[0];
  postgresql['connect_address'] = `${connectHost}:${input.connectPort ?? port}`;
  postgresql['listen'] = `${listenAddresses}:${port}`;
  postgresql['authentication'] = { superuser: { ...input.superuser }, replication: { username: NO_VALUE, password: NO_VALUE } };
  Object.assign(postgresql, input.accessFiles);
  postgresql['bin_dir'] = input.binDir;
  return config;
}

function block(value: Tree, indent = ''): string {
  // YAML 1.1 quoting, as PyYAML writes: a string `on` or `off` must not read back as a boolean in Patroni.
  return stringify(value, { lineWidth: 0, indent: 2, version: '1.1' })
    .trimEnd()
    .split('\n')
    .map((line) => indent + line)
    .join('\n');
}

/** YAML in Patroni's section order, with its comments on the bootstrap section. */
export function renderGeneratedConfig(config: Readonly<Tree>): string {
  const lines: string[] = [];
  const section = (name: string): void => {
    if (!(name in config)) return;
    if (isTree(config[name])) lines.push('');
    lines.push(block({ [name]: config[name] }));
  };
  for (const name of ['scope', 'namespace', 'name', 'log', 'restapi', 'ctl', 'consul', 'etcd', 'etcd3', 'kubernetes', 'raft', 'zookeeper', 'redis']) section(name);
  const bootstrap = config['bootstrap'];
  if (isTree(bootstrap)) {
    lines.push('', '# The bootstrap configuration. Works only when the cluster is not yet initialized.');
    lines.push('# If the cluster is already initialized, all changes in the `bootstrap` section are ignored!', 'bootstrap:');
    const { dcs, ...rest } = bootstrap;
    if (isTree(dcs)) {
      lines.push('  # This section is written into <dcs>:/<namespace>/<scope>/config when the cluster is');
      lines.push('  # initialized; every member then uses it as the cluster-wide configuration.');
      lines.push('  # To change it afterwards use `pgwardenctl edit-config` (or `patronictl edit-config`).', '  dcs:');
      const { loop_wait, retry_timeout, ttl, ...others } = dcs;
      for (const [name, value] of Object.entries({ loop_wait, retry_timeout, ttl, ...others })) if (value !== undefined) lines.push(block({ [name]: value }, '    '));
    }
    for (const [name, value] of Object.entries(rest)) lines.push(block({ [name]: value }, '  '));
  }
  for (const name of ['postgresql', 'watchdog', 'tags']) section(name);
  return `${lines.join('\n')}\n`;
}

/** The host name and first non-internal address; PATRONI_* overlay; then the whole generation. */
export async function generateConfig(options: {
  readonly dsn: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly hostname: string;
  readonly address: string;
}): Promise<string> {
  const dsn = options.dsn === undefined ? {} : parseDsn(options.dsn);
  const instance = await readRunningInstance(dsn, options.env);
  const dataDir = instance.settings.get('data_directory');
  if (dataDir === undefined) throw failure('the server did not report its data_directory');
  const parameters = Object.fromEntries(instance.settings);
  const config = buildGeneratedConfig({
    hostname: options.hostname,
    address: options.address,
    instance,
    superuser: superuserParameters(dsn, options.env),
    connectPort: dsn['port'] ?? options.env['PGPORT'],
    binDir: binDirOfRunningPostmaster(dataDir),
    accessFiles: readAccessFiles(dataDir, parameters, instance.serverVersion),
    environment: readEnvironmentConfig(options.env).config,
  });
  return renderGeneratedConfig(config);
}
