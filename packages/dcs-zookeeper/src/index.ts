/**
 * @pgwarden/dcs-zookeeper: the DCS contract (`Dcs` of @pgwarden/core) over
 * ZooKeeper, with Patroni's znode layout and values, ephemeral leader and
 * member znodes tied to the session, version CAS and watches.
 */
export { ZooKeeperDcs, createZooKeeperDcs, type ZooKeeperDcsOptions, type ZooKeeperRequestCounts } from './zookeeper-dcs.js';
export { zookeeperDcsSettingsSchema, zookeeperConnectionSchema, resolveConnectionString, type ZooKeeperDcsSettings } from './options.js';
export { clusterKeys, type ClusterKeys } from '@pgwarden/core';
export type { Logger } from './logger.js';
