/**
 * @pgwarden/daemon — the pgwarden agent runtime: observe, decide, act,
 * publish, wait. `runAgent` runs a whole agent from a Patroni-style config;
 * the pieces below let other tooling run the cycle with its own adapters.
 */
export { runAgent, startAgent, type RunAgentOptions, type RunningAgent } from './run-agent.js';
export { AgentRuntime } from './runtime/agent-runtime.js';
export { AgentMemberController } from './adapters/member-controller.js';
export { createPostgresPort } from './adapters/postgres-port.js';
export type { CycleSnapshot, DecideFunction, RuntimeOptions } from './runtime/runtime-types.js';
export { executeAction, type ActionOutcome, type ExecutorContext } from './runtime/action-executor.js';
export { CallbackRunner, splitCommand, type CallbackRunnerOptions } from './runtime/callback-runner.js';
export { LinuxWatchdog, noWatchdog, parseWatchdogMode, type WatchdogMode, type WatchdogOptions } from './runtime/watchdog.js';
export { createHttpPeerPort, failsafeTimeoutMs, peerStatusTimeoutMs, toPeerStatus } from './runtime/peer-client.js';
export { buildMemberData, compatiblePatroniVersion, derivePublishedState } from './runtime/member-data.js';
export { createLogger, formatHumanLine, parseLogLevel, silentLogger, type AgentLogger, type LogFormat, type LogLevel, type LoggerOptions } from './logger.js';
export type { CallbackAction, CallbackPort, Clock, LongOperationOptions, PeerPort, PostgresPort, WatchdogPort } from './ports.js';
export { systemClock } from './ports.js';
export { loadConfigFile, readDynamicConfigCache, writeDynamicConfigCache, DYNAMIC_CACHE_FILE, type LoadConfigFileOptions } from './config-file.js';
