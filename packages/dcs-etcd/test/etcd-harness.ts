/**
 * The contract harness for this adapter: real etcd (1 or 3 members) started
 * by the test, EtcdDcs members built on it, raw key access with a plain
 * etcd3 client.
 */
import type { DcsContractHarness } from '@pgwarden/testkit/contract';
import { startEtcd } from '@pgwarden/testkit';
import { Etcd3 } from 'etcd3';
import { EtcdDcs } from '../src/index.js';

export const contractTimings = { ttlSeconds: 2, loopWaitSeconds: 0.5, retryTimeoutSeconds: 2 };

export async function startEtcdHarness(size: number): Promise<DcsContractHarness> {
  const etcd = await startEtcd({ size });
  const raw = new Etcd3({ hosts: [...etcd.endpoints] });
  const key = (scope: string, relative: string): string => `/service/${scope}/${relative}`;
  return {
    backend: 'etcd3',
    timings: contractTimings,
    createDcs: (member) =>
      new EtcdDcs({
        hosts: [...etcd.endpoints],
        scope: member.scope,
        name: member.name,
        ...member.timings,
        clock: member.clock,
      }),
    readRaw: async (scope, relative) => (await raw.get(key(scope, relative)).string()) ?? undefined,
    writeRaw: async (scope, relative, value) => {
      await raw.put(key(scope, relative)).value(value);
    },
    servers: {
      count: etcd.nodes.length,
      stop: (index) => etcd.nodes[index]!.stop(),
      start: (index) => etcd.nodes[index]!.start(),
    },
    close: async () => {
      raw.close();
      await etcd.stop();
    },
  };
}
