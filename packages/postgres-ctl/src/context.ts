/**
 * What every operation of one managed instance shares: resolved options,
 * binaries, the OS user, paths, the local connection and the event sink.
 * Internal; the public face is PostgresCtl.
 */
import { basename, dirname, join } from 'node:path';
import type { HistoryLine, LocalSlot, PostgresState } from '@pgwarden/core';
import { resolveBinaries, type Binaries } from './binaries.js';
import type { PostgresCtlEvent } from './events.js';
import type { Parameters } from './files/config-files.js';
import type { ControlData } from './files/controldata.js';
import type { Logger } from './logger.js';
import { parseListen, type PostgresCtlOptions } from './options.js';
import { resolveRunAsUser, type RunAsUser } from './process/run-as.js';
import { ReusedConnection, type ConnectionSettings } from './sql/connection.js';

export interface Paths {
  readonly dataDir: string;
  readonly configDir: string;
  readonly configFile: string;
  readonly hbaFile: string;
  readonly identFile: string;
  readonly pgpass: string;
  readonly logFile: string;
}

export interface Context {
  readonly options: PostgresCtlOptions;
  readonly binaries: Binaries;
  readonly user: RunAsUser;
  readonly logger: Logger;
  readonly paths: Paths;
  readonly listenHosts: readonly string[];
  readonly port: number;
  readonly local: ReusedConnection;
  /** Parameters the library manages on top of options.parameters (sync names, runtime updates). */
  readonly managedParameters: Record<string, string | number | boolean>;
  state: PostgresState;
  /** Parameter names of the server binary, read once (null = could not be read); see server-catalog.ts. */
  parameterCatalog: ReadonlySet<string> | null | undefined;
  /** Recovery settings last written (undefined = runs as primary). */
  recovery: Parameters | undefined;
  /**
   * Highest timeline the WAL receiver reported during this postmaster's life. Without a
   * connected receiver, pg_control_checkpoint() still names the last restartpoint's
   * timeline, which lags a replica that has already followed a promotion.
   */
  receivedTimeline: { readonly postmasterStartTime: string; readonly timeline: number } | undefined;
  /**
   * pg_controldata as read during the running postmaster's life (by its
   * pid and start time): what a cycle needs of it then (system identifier, rewindability)
   * does not change, so the idle cycle spawns no process for it.
   */
  controlData: { readonly postmaster: string; readonly control: ControlData } | undefined;
  /** The last pg_controldata read of this data directory, whatever ran then (see observe.ts, stoppedControlData). */
  lastControlData: ControlData | undefined;
  /**
   * The running instance's history lines, by role, timeline and postmaster start
   * time: PostgreSQL writes a timeline's history file once, so the cycle reads it once.
   */
  ownHistoryCache: { readonly key: string; readonly lines: HistoryLine[] } | undefined;
  /**
   * The slots and recovery state the last observation read (undefined when it
   * read none): a slot sync right after it plans from them and reads again
   * only when there is something to do. Each observe() replaces it.
   */
  observedSlots: { readonly slots: readonly LocalSlot[]; readonly inRecovery: boolean } | undefined;
  emit(event: PostgresCtlEvent): void;
  localSettings(overrides?: Partial<ConnectionSettings>): ConnectionSettings;
}

export function resolvePaths(options: PostgresCtlOptions): Paths {
  const dataDir = options.data_dir.replace(/\/+$/, '');
  const configDir = (options.config_dir ?? dataDir).replace(/\/+$/, '');
  const sibling = (suffix: string): string => join(dirname(dataDir), `${basename(dataDir)}.${suffix}`);
  return {
    dataDir,
    configDir,
    configFile: join(configDir, `${options.config_base_name}.conf`),
    hbaFile: join(configDir, 'pg_hba.conf'),
    identFile: join(configDir, 'pg_ident.conf'),
    // Outside the data directory: pg_basebackup and pg_rewind would copy or delete them otherwise.
    pgpass: options.pgpass ?? sibling('pgpass'),
    logFile: options.log_file ?? sibling('postmaster.log'),
  };
}

/** The host our own tools and connections use to reach the local server. */
export function localHost(options: PostgresCtlOptions): string {
  const socketDirs = String(options.parameters['unix_socket_directories'] ?? '');
  if (options.use_unix_socket) {
    const absolute = socketDirs.split(',').map((entry) => entry.trim()).find((entry) => entry.startsWith('/'));
    if (absolute) return absolute;
  }
  const hosts = parseListen(options.listen).hosts;
  if (hosts.some((host) => ['*', '0.0.0.0', '127.0.0.1', 'localhost'].includes(host))) return '127.0.0.1';
  if (hosts.includes('::')) return '::1';
  return hosts[0] ?? '127.0.0.1';
}

/** Connection settings of the local superuser. */
export function localConnectionSettings(options: PostgresCtlOptions, overrides: Partial<ConnectionSettings> = {}): ConnectionSettings {
  const superuser = options.authentication.superuser;
  return {
    host: localHost(options),
    port: parseListen(options.listen).port,
    user: superuser.username,
    ...(superuser.password !== undefined ? { password: superuser.password } : {}),
    database: options.database,
    connectTimeoutSeconds: options.connect_timeout_seconds,
    statementTimeoutMs: options.statement_timeout_ms,
    applicationName: 'pgwarden',
    ...overrides,
  };
}

/** Resolve binaries, user and paths (throwing PgwardenError on bad input) into a fresh context. */
export function createContext(options: PostgresCtlOptions, logger: Logger, emit: (event: PostgresCtlEvent) => void): Context {
  const { hosts, port } = parseListen(options.listen);
  const localSettings = (overrides: Partial<ConnectionSettings> = {}): ConnectionSettings => localConnectionSettings(options, overrides);
  return {
    options,
    binaries: resolveBinaries(options.bin_dir, options.bin_name),
    user: resolveRunAsUser(options.run_as),
    logger,
    paths: resolvePaths(options),
    listenHosts: hosts,
    port,
    local: new ReusedConnection(() => localSettings({ applicationName: 'pgwarden heartbeat' }), logger),
    managedParameters: {},
    state: 'stopped',
    parameterCatalog: undefined,
    recovery: undefined,
    receivedTimeline: undefined,
    controlData: undefined,
    lastControlData: undefined,
    ownHistoryCache: undefined,
    observedSlots: undefined,
    emit,
    localSettings,
  };
}
