/**
 * @pgwarden/dcs-redis: the DCS contract (`Dcs` of @pgwarden/core) over Redis
 * (ioredis), with Patroni's key names and values, a PX-expiring leader lock
 * renewed by atomic scripts, CAS by version, and pub/sub wake-ups. Read the
 * README for when Redis is safe for the lock.
 */
export { RedisDcs, createRedisDcs, type RedisDcsOptions, type RedisRequestCounts } from './redis-dcs.js';
export { redisDcsSettingsSchema, redisConnectionSchema, type RedisDcsSettings } from './options.js';
export { clusterKeys, type ClusterKeys } from './keys.js';
export type { Logger } from './logger.js';
