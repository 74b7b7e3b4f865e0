/**
 * The cluster view from etcd's keys: the lenient Patroni parsing lives in
 * @pgwarden/core (`parseClusterFromKeys`, shared with the Consul adapter so
 * both read alike); here etcd's keys become the core's relative raw keys.
 */
import { parseClusterFromKeys, type Cluster, type RawClusterKey } from '@pgwarden/core';
import type { ClusterKeys } from './keys.js';

/** One key as etcd returned it, value decoded as UTF-8. */
export interface RawKey {
  readonly key: string;
  readonly value: string;
  readonly modRevision: number;
  /** Lease id as a decimal string; "0" when the key has no lease. */
  readonly lease: string;
}

function toClusterKey(keys: ClusterKeys, raw: RawKey): RawClusterKey | undefined {
  if (!raw.key.startsWith(keys.prefix)) return undefined;
  return {
    key: raw.key.slice(keys.prefix.length),
    value: raw.value,
    version: raw.modRevision,
    ...(raw.lease !== '0' && raw.lease !== '' ? { session: raw.lease } : {}),
  };
}

/** Build the Cluster from every key under the prefix. Keys outside the layout are ignored. */
export function parseCluster(keys: ClusterKeys, raws: Iterable<RawKey>): Cluster {
  const relative: RawClusterKey[] = [];
  for (const raw of raws) {
    const key = toClusterKey(keys, raw);
    if (key !== undefined) relative.push(key);
  }
  return parseClusterFromKeys(relative);
}
