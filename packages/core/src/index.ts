/**
 * @pgwarden/core — the pure heart of pgwarden: the cluster model, the DCS
 * contract, the configuration schemas and the HA decision machine. No I/O,
 * no clocks, no timers, no randomness (scripts/check-core-purity.mjs).
 */
export { PgwardenError, isPgwardenError, PRE_PROMOTE_FAILED } from './errors.js';
export { silentLogger, type Logger } from './logger.js';
export { compareCodePoints } from './compare.js';
export * from './model/cluster.js';
export * from './model/cluster-helpers.js';
export * from './model/patroni-values.js';
export * from './model/parse-cluster-keys.js';
export { clusterKeys, type ClusterKeys } from './model/cluster-keys.js';
export { statusJson, syncJson } from './model/dcs-values.js';
export { WakeSignal, type SetTimer } from './model/wake-signal.js';
export { isIgnoredSlot, type ObservedSlot, type SlotMatcher } from './model/ignore-slots.js';
export type * from './model/dcs.js';
export { dcsFail, dcsOk } from './model/dcs-results.js';
export { dcsMemberSettingsShape, parseDcsSettings } from './model/dcs-settings.js';
export type * from './model/local-state.js';
export type * from './model/actions.js';
export { isQuestion, type QuestionAction } from './model/questions.js';
export type * from './model/decide-types.js';
export * from './config/index.js';
export * from './ha/index.js';
