/** Timing settings of the cluster from `/config`, with Patroni's defaults. */
import type { Cluster } from '@pgwarden/core';

function numberSetting(cluster: Cluster, key: string, fallback: number): number {
  const value = Number(cluster.config?.data[key]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

export function loopWaitSeconds(cluster: Cluster): number {
  return numberSetting(cluster, 'loop_wait', 10);
}

export function ttlSeconds(cluster: Cluster): number {
  return numberSetting(cluster, 'ttl', 30);
}
