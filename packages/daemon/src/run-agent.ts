/**
 * `runAgent`: one pgwarden agent from a Patroni-style configuration. Loads
 * and validates the config (file + env), connects the DCS, wires
 * PostgreSQL control, the REST API, callbacks and the watchdog into the
 * runtime, installs the signal handlers, and runs the cycle until
 * SIGTERM/SIGINT (or a fatal decision) ends it.
 */
import { decide, formatConfigIssue, initialMemory, recordLockRenewal, restApiExposureWarning, PgwardenError, type Dcs, type HaMemory, type PatroniConfig, type SelfIdentity } from '@pgwarden/core';
import { createRestApi, type RestApi } from '@pgwarden/rest-api';
import { toMemberSnapshot } from './adapters/api-snapshot.js';
import { toConsulSettings, toEtcdSettings, toRedisSettings, toRestApiConfig, toSelfIdentity, toZooKeeperSettings } from './adapters/agent-configuration-map.js';
import { AgentConfiguration } from './adapters/agent-configuration.js';
import { AgentMemberController } from './adapters/member-controller.js';
import { cacheClusterConfig } from './adapters/dynamic-config-store.js';
import { knownMembersKeeper, readKnownMembers } from './adapters/known-members-file.js';
import { loadConfigFile, readDynamicConfigCache } from './config-file.js';
import { createLogger, parseLogLevel, type AgentLogger, type LogLevel } from './logger.js';
import { componentsOfModule } from './log-format.js';
import { RotatingLogFile } from './log-file.js';
import { systemClock } from './ports.js';
import { AgentRuntime } from './runtime/agent-runtime.js';
import { createPeerRequest } from './runtime/peer-client.js';
import { buildAgentPorts, primaryRoleOf, type AgentPorts } from './adapters/agent-ports.js';
import { peerOptionsFrom } from './adapters/peer-settings.js';
import { assertNameIsFree, waitForDcsInterruptibly } from './start-up.js';
import { lockDataDirectory } from './data-directory-lock.js';
import { crashFence } from './crash-fence.js';
import { ProcessHealthMonitor } from './process-health.js';

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
    base: { ...(log.static_fields ?? {}), member: config.name, scope: config.scope },
    patroniFormat: { format: log.format, ...(log.dateformat === undefined ? {} : { dateformat: log.dateformat }) },
    componentLevels: componentLevels(log.loggers ?? {}),
    ...(destination === undefined ? {} : { destination }),
  });
}

/** `log.loggers` (Patroni module → level) as component levels, general modules first so specific ones win. */
function componentLevels(loggers: Readonly<Record<string, string>>): Record<string, LogLevel> {
  const levels: Record<string, LogLevel> = {};
  for (const [module, level] of Object.entries(loggers).sort(([a], [b]) => a.length - b.length)) {
    for (const component of componentsOfModule(module) ?? []) levels[component] = parseLogLevel(level);
  }
  return levels;
}

/** The adapters report lock renewals on the runtime's monotonic clock (their send times are compared with it). */
const monotonicMs = (): number => systemClock.nowMs();

/**
 * The DCS of the config's section: etcd3, consul, redis or zookeeper (the config schema guarantees exactly one).
 * Only the configured adapter is loaded: the others' client libraries (grpc-js and protobufjs, ioredis,
 * node-zookeeper-client) and schemas would otherwise stay in the agent's heap for nothing.
 */
async function createDcs(local: PatroniConfig, timings: AgentConfiguration['effective'], logger: AgentLogger): Promise<Dcs> {
  if (local.etcd3 !== undefined) return (await import('@pgwarden/dcs-etcd')).createEtcdDcs({ ...toEtcdSettings(local, timings), logger, clock: monotonicMs });
  if (local.consul !== undefined) return (await import('@pgwarden/dcs-consul')).createConsulDcs({ ...toConsulSettings(local, timings), logger, clock: monotonicMs });
  if (local.redis !== undefined) return (await import('@pgwarden/dcs-redis')).createRedisDcs({ ...toRedisSettings(local, timings), logger, clock: monotonicMs });
  if (local.zookeeper !== undefined) {
    return (await import('@pgwarden/dcs-zookeeper')).createZooKeeperDcs({ ...toZooKeeperSettings(local, timings), logger, clock: monotonicMs });
  }
  throw new PgwardenError('dcs-unsupported', 'the configuration names no DCS: add an etcd3, consul, redis or zookeeper section');
}

export async function startAgent(options: RunAgentOptions = {}): Promise<RunningAgent> {
  const env = options.env ?? process.env;
  const local = options.config ?? (await loadLocalConfig(options));
  const logger = options.logger ?? makeLogger(local, env);
  const exposure = restApiExposureWarning(local);
  if (exposure !== undefined) logger.warn({ listen: local.restapi.listen }, exposure);
  const lock = lockDataDirectory(local.postgresql.data_dir);
  const cached = await readDynamicConfigCache(local.postgresql.data_dir).catch((error: unknown) => {
    lock.release();
    throw error;
  });
  const configuration = new AgentConfiguration(local, { cached }, logger);
  const timings = configuration.effective;
  let dcs: Dcs;
  try {
    dcs = await createDcs(local, timings, logger.child({ component: 'dcs' }));
  } catch (error) {
    lock.release();
    throw error;
  }
  // A failure after this point must release what was opened, or the process would not exit.
  const opened: Array<() => Promise<unknown>> = [async () => lock.release(), () => dcs.close()];
  try {
    const agent = await assemble(options, local, logger, configuration, dcs, opened);
    return { ...agent, exited: agent.exited.finally(() => lock.release()) };
  } catch (error) {
    for (const close of opened.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

/** The agent's steps, in order: DCS up, no twin, ports, runtime, REST API, side services, run. */
async function assemble(
  options: RunAgentOptions,
  local: PatroniConfig,
  logger: AgentLogger,
  configuration: AgentConfiguration,
  dcs: Dcs,
  opened: Array<() => Promise<unknown>>,
): Promise<RunningAgent> {
  const cluster = await waitForDcsInterruptibly(dcs, logger);
  const peerOptions = peerOptionsFrom(local);
  await assertNameIsFree(cluster, local.name, createPeerRequest(peerOptions));
  if (cluster.config !== undefined) configuration.settingsFor(cluster);
  const ports = buildAgentPorts(local, configuration, peerOptions, logger);
  opened.push(() => ports.ctl.close());
  const links: RuntimeLinks = { health: new ProcessHealthMonitor() };
  const self = toSelfIdentity(local);
  const runtime = createRuntime(options, local, self, configuration, dcs, ports, links, logger);
  const api = await startRestApi(local, runtime, dcs, ports, links, logger);
  opened.push(() => api.stop());
  links.stopHaproxy = await startHaproxySection(local, configuration, logger);
  logger.info({ apiUrl: self.apiUrl, connUrl: self.connUrl, backend: dcs.backend }, 'pgwarden agent started');
  return runUntilStopped(options, runtime, api, ports, links, logger);
}

/** What the runtime's hooks reach that is built after it (the REST API, its controller, the HAProxy watcher). */
interface RuntimeLinks {
  api?: RestApi;
  controller?: AgentMemberController;
  stopHaproxy?: () => Promise<void>;
  /** Built first: the runtime's clock reports its timers' lateness to it. */
  readonly health: ProcessHealthMonitor;
}

function createRuntime(
  options: RunAgentOptions,
  local: PatroniConfig,
  self: SelfIdentity,
  configuration: AgentConfiguration,
  dcs: Dcs,
  ports: AgentPorts,
  links: RuntimeLinks,
  logger: AgentLogger,
): AgentRuntime<HaMemory> {
  const { parameters } = ports;
  const knownMembers = readKnownMembers(local.postgresql.data_dir);
  return new AgentRuntime<HaMemory>({
    self,
    dcs,
    postgres: ports.postgres,
    peers: ports.peers,
    callbacks: ports.callbacks,
    watchdog: ports.watchdog,
    logger,
    clock: links.health.timedClock(systemClock),
    decide,
    initialMemory: initialMemory({ knownMembers }),
    keepMemory: knownMembersKeeper(local.postgresql.data_dir, knownMembers, logger),
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
    beforeShutdown: async () => links.stopHaproxy?.(),
    dynamicConfig: () => JSON.parse(JSON.stringify(configuration.dynamic)) as Record<string, unknown>,
    publish: (snapshot) => links.api?.setSnapshot(toMemberSnapshot(snapshot, local.scope, links.controller?.scheduledRestartView(), primaryRoleOf(local))),
    scheduledRestart: () => links.controller?.scheduledRestartMemberData(),
    primaryRole: primaryRoleOf(local),
  });
}

async function startRestApi(local: PatroniConfig, runtime: AgentRuntime<HaMemory>, dcs: Dcs, ports: AgentPorts, links: RuntimeLinks, logger: AgentLogger): Promise<RestApi> {
  const controller = new AgentMemberController(runtime as AgentRuntime<unknown>, dcs, ports.peers, logger.child({ component: 'api' }), systemClock);
  const api = createRestApi({
    config: toRestApiConfig(local),
    controller,
    logger: logger.child({ component: 'restapi' }),
    monotonicNow: monotonicMs,
    processHealth: () => links.health.read(),
  });
  links.controller = controller;
  links.api = api;
  await api.start();
  return api;
}

function runUntilStopped(options: RunAgentOptions, runtime: AgentRuntime<HaMemory>, api: RestApi, ports: AgentPorts, links: RuntimeLinks, logger: AgentLogger): RunningAgent {
  const handlers = options.handleSignals === false ? undefined : installSignalHandlers(runtime, logger);
  const onCrash = crashFence({
    logger,
    runsUnpausedPrimary: () => {
      const snapshot = runtime.snapshot;
      return snapshot !== undefined && !snapshot.settings.paused && snapshot.local.running && !snapshot.local.inRecovery;
    },
    stopPostgres: async () => void (await ports.ctl.stop({ mode: 'immediate', checkpoint: false })),
    stopTimeoutMs: runtime.settings.retryTimeoutSeconds * 1000,
    exit: (code) => process.exit(code),
  });
  const crashHandler = (error: unknown): void => void onCrash(error);
  if (options.handleSignals !== false) process.on('uncaughtException', crashHandler);
  const exited = runtime.run().finally(async () => {
    handlers?.remove();
    process.off('uncaughtException', crashHandler);
    links.controller?.close();
    await api.stop().catch(() => undefined);
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
 * pgwarden extension: a top-level `haproxy` section keeps a local haproxy.cfg
 * current from the cluster (haproxy-gen's watcher settings), through a DCS client of its own.
 */
async function startHaproxySection(local: PatroniConfig, configuration: AgentConfiguration, logger: AgentLogger): Promise<(() => Promise<void>) | undefined> {
  const section = (local as Record<string, unknown>)['haproxy'];
  if (section === undefined || section === null) return undefined;
  // Loaded only when the section is there.
  const { startHaproxyWatcher, watcherOptionsFromSettings } = await import('@pgwarden/haproxy-gen');
  // Its own DCS client, so its own watch: a leader change the watcher consumes must still wake the cycle.
  const dcs = await createDcs(local, configuration.effective, logger.child({ component: 'haproxy-dcs' }));
  const watcher = startHaproxyWatcher(watcherOptionsFromSettings(section, dcs, logger.child({ component: 'haproxy' })));
  logger.info({}, 'haproxy.cfg watcher started');
  return async () => {
    await watcher.stop();
    await dcs.close();
  };
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
