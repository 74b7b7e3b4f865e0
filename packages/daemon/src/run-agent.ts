/**
 * `runAgent`: one pgwarden agent from a Patroni-style configuration. Loads
 * and validates the config (file + env), connects the DCS, wires
 * PostgreSQL control, the REST API, callbacks and the watchdog into the
 * runtime, installs the signal handlers, and runs the cycle until
 * SIGTERM/SIGINT (or a fatal decision) ends it.
 */
import { decide, formatConfigIssue, initialMemory, recordLockRenewal, PgwardenError, type Dcs, type HaMemory, type PatroniConfig } from '@pgwarden/core';
import { createEtcdDcs } from '@pgwarden/dcs-etcd';
import { createConsulDcs } from '@pgwarden/dcs-consul';
import { createZooKeeperDcs } from '@pgwarden/dcs-zookeeper';
import { PostgresCtl } from '@pgwarden/postgres-ctl';
import { createRestApi, type RestApi } from '@pgwarden/rest-api';
import { startHaproxyWatcher, watcherOptionsFromSettings, type HaproxyWatcher } from '@pgwarden/haproxy-gen';
import { toMemberSnapshot } from './adapters/api-snapshot.js';
import { toConsulSettings, toEtcdSettings, toZooKeeperSettings, toPostgresCtlOptions, toRestApiConfig, toSelfIdentity } from './adapters/agent-configuration-map.js';
import { AgentConfiguration } from './adapters/agent-configuration.js';
import { DynamicParameters } from './adapters/apply-parameters.js';
import { AgentMemberController } from './adapters/member-controller.js';
import { createPostgresPort } from './adapters/postgres-port.js';
import { syncSlots } from './adapters/slots.js';
import { cacheClusterConfig, ensureClusterConfig } from './adapters/dynamic-config-store.js';
import { loadConfigFile, readDynamicConfigCache } from './config-file.js';
import { createLogger, parseLogLevel, type AgentLogger } from './logger.js';
import { RotatingLogFile } from './log-file.js';
import { systemClock } from './ports.js';
import { AgentRuntime } from './runtime/agent-runtime.js';
import { CallbackRunner } from './runtime/callback-runner.js';
import { createHttpPeerPort } from './runtime/peer-client.js';
import { LinuxWatchdog, noWatchdog } from './runtime/watchdog.js';
import { assertNameIsFree, waitForDcs } from './start-up.js';

export interface RunAgentOptions {
  /** The YAML file or directory; undefined: PATRONI_CONFIGURATION / PATRONI_* only. */
  readonly configPath?: string;
  /** Defaults to process.env. */
  readonly env?: Record<string, string | undefined>;
  /** Defaults to a pino logger configured by the `log` section. */
  readonly logger?: AgentLogger;
  /** Install SIGTERM/SIGINT/SIGHUP handlers (default true). */
  readonly handleSignals?: boolean;
  /** Already loaded and validated (the CLI loads it first to print problems); SIGHUP re-reads configPath. */
  readonly config?: PatroniConfig;
}

export interface RunningAgent {
  readonly runtime: AgentRuntime<HaMemory>;
  readonly api: RestApi;
  /** As SIGTERM: finish the cycle, stop PostgreSQL, release the lock. */
  stop(): void;
  /** Resolves with the exit code once the agent has shut down. */
  readonly exited: Promise<number>;
}

async function loadLocalConfig(options: RunAgentOptions): Promise<PatroniConfig> {
  const env = options.env ?? process.env;
  const loaded = await loadConfigFile(options.configPath, { env, mode: 'run' });
  if (!loaded.ok) {
    throw new PgwardenError('config-invalid', `invalid configuration:\n${loaded.issues.map((issue) => `  ${formatConfigIssue(issue)}`).join('\n')}`);
  }
  if (options.env === undefined) for (const name of loaded.consumedEnv) delete process.env[name];
  return loaded.config;
}

/**
 * The agent's logger from the `log` section.
 * JSON lines by default (one record per line, for log shippers), where
 * Patroni defaults to plain text; an explicit `log.type: plain` (or
 * PGWARDEN_LOG_FORMAT=human, which wins over the file) gives one readable
 * line per record.
 */
export function makeLogger(config: PatroniConfig, env: Record<string, string | undefined>): AgentLogger {
  const { log } = config;
  const requested = env['PGWARDEN_LOG_FORMAT'];
  const format = requested === 'human' || requested === 'json' ? requested : log.type === 'plain' ? 'human' : 'json';
  // log.dir: <dir>/patroni.log, rotated by size as Patroni does, instead of stderr.
  const destination =
    log.dir === undefined ? undefined : new RotatingLogFile({ dir: log.dir, fileSize: log.file_size, fileNum: log.file_num, ...(log.mode === undefined ? {} : { mode: log.mode }) });
  return createLogger({
    format,
    level: parseLogLevel(env['PGWARDEN_LOG_LEVEL'] ?? log.level),
    base: { member: config.name, scope: config.scope },
    ...(destination === undefined ? {} : { destination }),
  });
}

/** The DCS of the config's section: etcd3, consul or zookeeper (the config schema guarantees exactly one). */
function createDcs(local: PatroniConfig, timings: AgentConfiguration['effective'], logger: AgentLogger): Dcs {
  if (local.etcd3 !== undefined) return createEtcdDcs({ ...toEtcdSettings(local, timings), logger });
  if (local.consul !== undefined) return createConsulDcs({ ...toConsulSettings(local, timings), logger });
  if (local.zookeeper !== undefined) return createZooKeeperDcs({ ...toZooKeeperSettings(local, timings), logger });
  throw new PgwardenError('dcs-unsupported', 'the configuration names no DCS: add an etcd3, consul or zookeeper section');
}

export async function startAgent(options: RunAgentOptions = {}): Promise<RunningAgent> {
  const env = options.env ?? process.env;
  const local = options.config ?? (await loadLocalConfig(options));
  const logger = options.logger ?? makeLogger(local, env);
  const cached = await readDynamicConfigCache(local.postgresql.data_dir);
  const configuration = new AgentConfiguration(local, { cached }, logger);
  const timings = configuration.effective;
  const dcs = createDcs(local, timings, logger.child({ component: 'dcs' }));
  // A failure after this point must release what was opened, or the process would not exit.
  const opened: Array<() => Promise<unknown>> = [() => dcs.close()];
  try {
    return await assemble(options, local, logger, configuration, dcs, opened);
  } catch (error) {
    for (const close of opened.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

async function assemble(
  options: RunAgentOptions,
  local: PatroniConfig,
  logger: AgentLogger,
  configuration: AgentConfiguration,
  dcs: Dcs,
  opened: Array<() => Promise<unknown>>,
): Promise<RunningAgent> {
  const startup = new AbortController();
  const stopStartup = (): void => startup.abort();
  process.once('SIGTERM', stopStartup);
  process.once('SIGINT', stopStartup);
  const cluster = await waitForDcs(dcs, logger, startup.signal);
  process.off('SIGTERM', stopStartup);
  process.off('SIGINT', stopStartup);
  if (cluster === undefined) {
    await dcs.close();
    throw new PgwardenError('interrupted', 'stopped while waiting for the DCS');
  }
  await assertNameIsFree(cluster, local.name);
  if (cluster.config !== undefined) configuration.settingsFor(cluster);
  const ctl = PostgresCtl.create(toPostgresCtlOptions(configuration.effective), { logger: logger.child({ component: 'postgres' }) });
  opened.push(() => ctl.close());
  const postgres = createPostgresPort(ctl);
  const self = toSelfIdentity(local);
  const callbacks = new CallbackRunner({
    callbacks: (local.postgresql.callbacks ?? {}) as Record<string, string>,
    scope: local.scope,
    logger: logger.child({ component: 'callbacks' }),
    mode: callbackMode(local),
  });
  const parameters = new DynamicParameters(ctl, configuration, callbacks, logger);
  const watchdogConfig = local.watchdog as { mode: string; device?: string; safety_margin?: number };
  const watchdog =
    watchdogConfig.mode === 'off'
      ? noWatchdog
      : new LinuxWatchdog({
          mode: watchdogConfig.mode === 'required' ? 'required' : 'automatic',
          ...(watchdogConfig.device !== undefined ? { device: watchdogConfig.device } : {}),
          ...(watchdogConfig.safety_margin !== undefined ? { safetyMarginSeconds: watchdogConfig.safety_margin } : {}),
          ttlSeconds: () => configuration.settings.ttlSeconds,
          loopWaitSeconds: () => configuration.settings.loopWaitSeconds,
          logger,
        });
  const restapi = local.restapi as { authentication?: { username: string; password: string } };
  const peers = createHttpPeerPort(restapi.authentication !== undefined ? { basicAuth: `${restapi.authentication.username}:${restapi.authentication.password}` } : {});
  let api: RestApi | undefined;
  let haproxyStop: (() => Promise<void>) | undefined;
  let controller: AgentMemberController | undefined;
  const runtime: AgentRuntime<HaMemory> = new AgentRuntime<HaMemory>({
    self,
    dcs,
    postgres,
    peers,
    callbacks,
    watchdog,
    logger,
    decide,
    initialMemory: initialMemory(),
    settings: (current) => configuration.settingsFor(current),
    recordLockRenewal,
    isFailsafeActive: (memory) => memory.failsafeActive,
    onDynamicConfig: async (config) => {
      await cacheClusterConfig(local.postgresql.data_dir, config, logger);
      await parameters.applyIfChanged();
    },
    reloadLocalConfig: async () => {
      configuration.replaceLocal(await loadLocalConfig(options));
      replaceTags(self.tags as Record<string, unknown>, configuration.local.tags as Record<string, unknown>);
      await parameters.apply();
    },
    beforeShutdown: async () => haproxyStop?.(),
    afterCycle: async (snapshot) => {
      await ensureClusterConfig(dcs, configuration, snapshot, logger);
      await syncSlots(ctl, configuration, snapshot, logger);
    },
    publish: (snapshot) => api?.setSnapshot(toMemberSnapshot(snapshot, local.scope, controller?.scheduledRestartView())),
    scheduledRestart: () => controller?.scheduledRestartMemberData(),
  });
  controller = new AgentMemberController(runtime as AgentRuntime<unknown>, dcs, peers, logger.child({ component: 'api' }), systemClock);
  const restApi = createRestApi({ config: toRestApiConfig(local), controller, logger: logger.child({ component: 'restapi' }) });
  api = restApi;
  opened.push(() => restApi.stop());
  await restApi.start();
  const haproxy = startHaproxySection(local, dcs, logger);
  haproxyStop = haproxy === undefined ? undefined : () => haproxy.stop();
  logger.info({ apiUrl: self.apiUrl, connUrl: self.connUrl, backend: dcs.backend }, 'pgwarden agent started');

  const handlers = options.handleSignals === false ? undefined : installSignalHandlers(runtime, logger);
  const exited = runtime.run().finally(async () => {
    handlers?.remove();
    controller?.close();
    await api?.stop().catch(() => undefined);
    logger.info({}, 'pgwarden agent stopped');
  });
  return { runtime, api, stop: () => runtime.stop(), exited };
}

/** Tags are local-only and take effect on reload (the runtime reads them from `self` every cycle). */
function replaceTags(current: Record<string, unknown>, next: Record<string, unknown>): void {
  for (const key of Object.keys(current)) delete current[key];
  Object.assign(current, next);
}

/**
 * pgwarden extension `pgwarden.callback_mode`: `kill-previous` (Patroni's
 * behaviour, the default) or `queue` (every callback runs to its end, in
 * order — INCIDENTS #11).
 */
function callbackMode(local: PatroniConfig): 'kill-previous' | 'queue' {
  const section = (local as Record<string, unknown>)['pgwarden'];
  const mode = typeof section === 'object' && section !== null ? (section as Record<string, unknown>)['callback_mode'] : undefined;
  if (mode === undefined || mode === 'kill-previous') return 'kill-previous';
  if (mode === 'queue') return 'queue';
  throw new PgwardenError('config-invalid', `pgwarden.callback_mode: expected "kill-previous" or "queue", found ${JSON.stringify(mode)}`);
}

/**
 * pgwarden extension: a top-level `haproxy` section keeps a local haproxy.cfg
 * current from the cluster (haproxy-gen's watcher settings), sharing our DCS.
 */
function startHaproxySection(local: PatroniConfig, dcs: Dcs, logger: AgentLogger): HaproxyWatcher | undefined {
  const section = (local as Record<string, unknown>)['haproxy'];
  if (section === undefined || section === null) return undefined;
  const watcher = startHaproxyWatcher(watcherOptionsFromSettings(section, dcs, logger.child({ component: 'haproxy' })));
  logger.info({}, 'haproxy.cfg watcher started');
  return watcher;
}

function installSignalHandlers(runtime: AgentRuntime<HaMemory>, logger: AgentLogger): { remove(): void } {
  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'shutting down');
    runtime.stop();
  };
  const reload = (): void => {
    logger.info({ signal: 'SIGHUP' }, 'reloading the configuration');
    runtime.reload();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', reload);
  return {
    remove() {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      process.off('SIGHUP', reload);
    },
  };
}

/** Run an agent until it stops; resolves with the process exit code (errors are logged, not thrown). */
export async function runAgent(options: RunAgentOptions = {}): Promise<number> {
  try {
    const agent = await startAgent(options);
    return await agent.exited;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof PgwardenError ? error.code : 'unexpected';
    process.stderr.write(`pgwarden: ${message}\n`);
    if (!(error instanceof PgwardenError)) process.stderr.write(`${String((error as Error).stack ?? '')}\n`);
    return code === 'interrupted' ? 0 : 1;
  }
}
