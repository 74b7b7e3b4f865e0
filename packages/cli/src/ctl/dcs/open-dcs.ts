/**
 * The DCS as pgwardenctl uses it: one client per cluster name, etcd v3,
 * Consul, Redis or ZooKeeper, with the connection settings of the config's
 * `etcd3`, `consul`, `redis` or `zookeeper` section (or `--dcs-url`).
 * It never takes a lease or a session (no member key, no lock): it only reads the cluster
 * and, for edit-config / remove / the fallbacks of switchover and flush,
 * writes `/config`, `/failover` or deletes the prefix, as patronictl does.
 */
import type { Dcs } from '@pgwarden/core';
import { createConsulDcs, type ConsulDcsSettings } from '@pgwarden/dcs-consul';
import { createEtcdDcs } from '@pgwarden/dcs-etcd';
import { createRedisDcs, type RedisDcsSettings } from '@pgwarden/dcs-redis';
import { createZooKeeperDcs } from '@pgwarden/dcs-zookeeper';
import type { CtlSettings } from '../settings/ctl-settings.js';

export type DcsOpener = (settings: CtlSettings, scope: string) => Promise<Dcs>;

/** `retry_timeout` of the config file bounds each DCS request; without it 5 s, so that an unreachable DCS is reported quickly. */
function retryTimeoutSeconds(settings: CtlSettings): number {
  const value = Number(settings.config['retry_timeout']);
  return Number.isFinite(value) && value > 0 ? value : 5;
}

export const openDcs: DcsOpener = async (settings, scope) => {
  const dcs = settings.dcs;
  if (dcs === undefined) throw new Error('no DCS configured');
  if (dcs.type === 'zookeeper') {
    // Its session holds no znode: pgwardenctl never touches a member or the lock.
    return createZooKeeperDcs({ hosts: [...dcs.hosts], scope, name: 'pgwardenctl', namespace: settings.namespace, retryTimeoutSeconds: retryTimeoutSeconds(settings) });
  }
  if (dcs.type === 'consul') {
    return createConsulDcs({
      ...dcs.section,
      scope,
      name: 'pgwardenctl',
      namespace: settings.namespace,
      retryTimeoutSeconds: retryTimeoutSeconds(settings),
    } as ConsulDcsSettings);
  }
  if (dcs.type === 'redis') {
    // No subscription: pgwardenctl never waits for changes; every read is one script on the primary.
    return createRedisDcs({
      ...(dcs.section as RedisDcsSettings),
      scope,
      name: 'pgwardenctl',
      namespace: settings.namespace,
      retryTimeoutSeconds: retryTimeoutSeconds(settings),
      watch: false,
    });
  }
  return createEtcdDcs({
    scope,
    // The client identifies itself in etcd's logs; it never writes a member key.
    name: 'pgwardenctl',
    namespace: settings.namespace,
    hosts: dcs.hosts.map((host) => `${dcs.protocol}://${host}`),
    protocol: dcs.protocol,
    ...(dcs.username !== undefined ? { username: dcs.username } : {}),
    ...(dcs.password !== undefined ? { password: dcs.password } : {}),
    ...(dcs.cacert !== undefined ? { cacert: dcs.cacert } : {}),
    ...(dcs.cert !== undefined ? { cert: dcs.cert } : {}),
    ...(dcs.key !== undefined ? { key: dcs.key } : {}),
    retryTimeoutSeconds: retryTimeoutSeconds(settings),
  });
};
