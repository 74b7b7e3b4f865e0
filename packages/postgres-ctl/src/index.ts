/**
 * @pgwarden/postgres-ctl — everything pgwarden does to PostgreSQL: initdb,
 * base backups, the configuration files, start/stop/promote/demote/follow,
 * pg_rewind, replication slots, synchronous_standby_names, and observe().
 */
export { PostgresCtl, type StartOptions, type StartOutcome, type StopOptions, type FollowOutcome, type PromoteOutcome } from './postgres-ctl.js';
export { PRE_PROMOTE_FAILED } from './scripts.js';
export type { ReplicationPositions } from './observe.js';
export type { StopOutcome } from './lifecycle.js';
export {
  postgresCtlOptionsSchema,
  credentialsSchema,
  type PostgresCtlOptions,
  type PostgresCtlOptionsInput,
  type Credentials,
  type CustomMethod,
  type OptionList,
} from './options.js';
export type { PostgresCtlEvent } from './events.js';
export { silentLogger, type Logger } from './logger.js';
export type { CreateReplicaOutcome } from './create-replica.js';
export type { RewindCheck, RewindOutcome } from './rewind.js';
export type { TimelineHistory } from './timeline-history.js';
export type { DesiredSlots, SlotSyncOutcome } from './slots.js';
export { desiredSlotNames, formatLsn } from './slots.js';
export { renderSynchronousStandbyNames, type SynchronousNamesOptions } from './synchronous-standby-names.js';
export type { ConnectionSettings } from './sql/connection.js';
