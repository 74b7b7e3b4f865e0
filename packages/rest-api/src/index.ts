/**
 * @pgwarden/rest-api — Patroni's REST API for a pgwarden member, served from
 * the state snapshot the agent hands over after every cycle, with writes
 * forwarded to the agent through `MemberController`.
 */
export { createRestApi, type RestApi } from './server.js';
export type {
  CycleMetrics,
  MemberSnapshot,
  PostgresObservation,
  ReplicationRow,
  ScheduledRestartView,
} from './snapshot.js';
export type {
  FailsafeOutcome,
  FailsafeRequest,
  MemberController,
  ReinitializeOutcome,
  RestartOutcome,
  RestartRequest,
  ScheduledRestartRequest,
} from './controller.js';
export { restApiConfigSchema, type ProcessHealth, type RestApiConfig, type RestApiLogger, type RestApiOptions } from './options.js';
export { patchConfig } from './config-patch.js';
export { postgresVersionToInt } from './parse-values.js';
