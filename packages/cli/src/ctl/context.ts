/**
 * What every command gets: the settings, the person's terminal (io), the DCS
 * of a named cluster, the members' REST APIs. Reading a cluster turns the
 * DCS's typed failures into one-line errors an operator can act on.
 */
import { PgwardenError, type Cluster, type Dcs } from '@pgwarden/core';
import type { DcsOpener } from './dcs/open-dcs.js';
import type { CtlIo } from './io.js';
import type { MemberApi } from './rest/member-api.js';
import type { CtlSettings } from './settings/ctl-settings.js';

export interface CtlContext {
  readonly settings: CtlSettings;
  readonly io: CtlIo;
  readonly api: MemberApi;
  /** The environment of the command (EDITOR, PG*). */
  readonly env: NodeJS.ProcessEnv;
  /** The cluster name given, else `scope` from the config; error when neither. */
  clusterName(given: string | undefined): string;
  dcs(scope: string): Promise<Dcs>;
  /** A fresh read; `cluster-not-found` when the DCS holds nothing for it. */
  readCluster(scope: string, options?: { allowEmpty?: boolean }): Promise<Cluster>;
  close(): Promise<void>;
}

function isEmpty(cluster: Cluster): boolean {
  return cluster.initialize === undefined && cluster.members.length === 0 && cluster.config === undefined && cluster.leader === undefined;
}

export function describeDcs(settings: CtlSettings): string {
  const { dcs } = settings;
  if (dcs === undefined) return `no DCS configured (namespace ${settings.namespace})`;
  if (dcs.type === 'consul') return `consul at ${dcs.address} (namespace ${settings.namespace})`;
  if (dcs.type === 'redis') return `redis at ${dcs.address} (namespace ${settings.namespace})`;
  if (dcs.type === 'zookeeper') return `zookeeper at ${dcs.hosts.join(',')} (namespace ${settings.namespace})`;
  return `etcd3 at ${dcs.hosts.join(',')} (namespace ${settings.namespace})`;
}

export function createContext(settings: CtlSettings, io: CtlIo, api: MemberApi, openDcs: DcsOpener, env: NodeJS.ProcessEnv = process.env): CtlContext {
  const clients = new Map<string, Promise<Dcs>>();
  const dcs = (scope: string): Promise<Dcs> => {
    if (settings.dcs === undefined) {
      return Promise.reject(
        new PgwardenError('no-dcs', 'No DCS configured: pass -d etcd3://HOST:PORT (or consul://HOST:PORT, zookeeper://HOST:PORT) or -c CONFIG with an etcd3, consul or zookeeper section'),
      );
    }
    let client = clients.get(scope);
    if (client === undefined) {
      client = openDcs(settings, scope);
      clients.set(scope, client);
    }
    return client;
  };
  return {
    settings,
    io,
    api,
    env,
    clusterName(given) {
      const name = given ?? settings.scope;
      if (name === undefined || name === '') {
        throw new PgwardenError('no-cluster-name', 'No cluster name: give CLUSTER_NAME or set scope in the config file');
      }
      return name;
    },
    dcs,
    async readCluster(scope, options = {}) {
      const client = await dcs(scope);
      const result = await client.getCluster();
      if (!result.ok) throw new PgwardenError('dcs-unreachable', `DCS unreachable: ${describeDcs(settings)}: ${result.message}`);
      if (!options.allowEmpty && isEmpty(result.value)) {
        throw new PgwardenError('cluster-not-found', `Cluster ${scope} not found in ${describeDcs(settings)}`);
      }
      return result.value;
    },
    async close() {
      const pending = [...clients.values()];
      clients.clear();
      await Promise.all(pending.map(async (client) => (await client.catch(() => undefined))?.close()));
    },
  };
}
