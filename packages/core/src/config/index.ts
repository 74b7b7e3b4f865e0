/**
 * Patroni-compatible configuration: schemas, defaults, validation with
 * positions, `PATRONI_*` environment mapping, dynamic/local merge, timing
 * adjustment, HA settings and PostgreSQL parameters. Pure: file reading is the
 * caller's job (see @pgwarden/daemon `loadConfigFile`).
 */
export { loadConfig } from './load-config.js';
export type { ConfigSourceText, LoadConfigOptions, LoadConfigResult } from './load-config.js';
export { formatConfigIssue } from './issues.js';
export type { ConfigIssue, ConfigIssueSource } from './issues.js';
export { readEnvironmentConfig } from './environment.js';
export type { Environment, EnvironmentConfig } from './environment.js';
export { configSchema } from './schema.js';
export type { PatroniConfig, BootstrapConfig } from './schema.js';
export { dynamicConfigSchema } from './schema-dynamic.js';
export type { DynamicConfig, StandbyClusterConfig, PermanentSlot } from './schema-dynamic.js';
export type { PostgresqlConfig, UserCredentials, CustomMethodConfig } from './schema-postgresql.js';
export { AUTHENTICATION_KEYS } from './schema-postgresql.js';
export type { LogConfig, RestapiConfig, CtlConfig, Etcd3Config, ConsulConfig, WatchdogConfig, TagsConfig } from './schema-sections.js';
export { mergeConfig } from './merge.js';
export { adjustTimeouts, timeoutsKeepRule, TIMEOUT_DEFAULTS, TIMEOUT_MINIMUMS } from './timeouts.js';
export { FAST_PROFILE_MINIMUMS, FENCE_BUDGET_MS, fastProfileProblem, fenceMarginMs, isFastProfile, watchdogTimeoutSeconds, type FastProfileInput } from './fast-profile.js';
export type { Timeouts, AdjustedTimeouts } from './timeouts.js';
export { parseDynamicConfig, resolveDynamicConfig } from './dynamic-config.js';
export { unsupportedDynamicSettings } from './unsupported-settings.js';
export { restApiExposureWarning } from './semantic-checks.js';
export type { DynamicConfigCandidates, ParsedDynamicConfig, ResolvedDynamicConfig } from './dynamic-config.js';
export { buildEffectiveConfig, isStandbyClusterActive } from './effective-config.js';
export type { EffectiveConfig, EffectivePostgresqlConfig, EffectiveConfigResult } from './effective-config.js';
export { toHaSettings, DYNAMIC_DEFAULTS } from './ha-settings.js';
export { COMMAND_LINE_PARAMETERS, CLUSTER_WIDE_PARAMETERS, defaultDynamicParameters, formatParameterValue } from './postgres-parameters.js';
export type { ParameterValue } from './postgres-parameters.js';
export { parseBoolean, parseInteger } from './value-parsers.js';
export { componentsOfModule, DEFAULT_PATRONI_LOG_FORMAT, KNOWN_LOG_FIELDS, knownLoggerModules, LOG_LEVEL_NAMES, LOG_LEVEL_NUMBERS, logFormatProblem, logTemplateFields, type PatroniLogFormat } from './log-settings.js';
