/**
 * @pgwarden/dcs-etcd: the DCS contract (`Dcs` of @pgwarden/core) over etcd v3,
 * with Patroni's key layout and value formats, a lease-bound leader lock,
 * CAS writes and a watch-fed cache.
 */
export { EtcdDcs, createEtcdDcs, type EtcdDcsOptions, type EtcdRequestCounts } from './etcd-dcs.js';
export { etcdDcsSettingsSchema, etcdConnectionSchema, resolveEndpoints, type EtcdDcsSettings } from './options.js';
export { clusterKeys, type ClusterKeys } from './keys.js';
export { toPatroniJson } from '@pgwarden/core';
export type { Logger } from './logger.js';
