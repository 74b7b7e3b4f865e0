/**
 * Patroni's key layout (core's `clusterKeys`, spec/dcs.md §1) and the etcd
 * range that covers a prefix.
 */
export { clusterKeys, type ClusterKeys } from '@pgwarden/core';

/** The end of a prefix range: the prefix with its last byte incremented. */
export function prefixRangeEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let index = end.length - 1; index >= 0; index--) {
    const byte = end[index] ?? 0;
    if (byte < 0xff) {
      end[index] = byte + 1;
      return end.subarray(0, index + 1);
    }
  }
  return Buffer.from([0]);
}
