/**
 * The contract harness for this adapter: real etcd (1 or 3 members) started
 * by the test, EtcdDcs members built on it, raw key access through etcd's
 * JSON gateway with plain fetch (etcd-gateway.ts).
 */
import type { DcsContractHarness } from '@pgwarden/testkit/contract';
import { startEtcd, type EtcdCluster } from '@pgwarden/testkit';
import { afterAll, beforeAll } from 'vitest';
import { EtcdDcs, type EtcdDcsOptions } from '../src/index.js';
import { readKey, writeKey } from './etcd-gateway.js';

export const contractTimings = { ttlSeconds: 2, loopWaitSeconds: 0.5, retryTimeoutSeconds: 2 };

export async function startEtcdHarness(size: number): Promise<DcsContractHarness> {
  const etcd = await startEtcd({ size });
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
    readRaw: (scope, relative) => readKey(etcd.endpoints, key(scope, relative)),
    writeRaw: (scope, relative, value) => writeKey(etcd.endpoints, key(scope, relative), value),
    servers: {
      count: etcd.nodes.length,
      stop: (index) => etcd.nodes[index]!.stop(),
      start: (index) => etcd.nodes[index]!.start(),
    },
    close: () => etcd.stop(),
  };
}

export interface ThreeNodeEtcd {
  /** The running etcd (available inside tests, after beforeAll). */
  etcd(): EtcdCluster;
  /** Open an adapter on it; closed after the file's tests, before etcd stops. */
  open(options: Partial<EtcdDcsOptions> & { readonly scope: string; readonly name: string }): EtcdDcs;
}

/**
 * A real three-node etcd for one test file: started before its tests, and
 * after them every adapter opened on it is closed, frozen nodes are thawed
 * and etcd is stopped (by PID), also when a test failed.
 */
export function useThreeNodeEtcd(): ThreeNodeEtcd {
  let etcd: EtcdCluster | undefined;
  const opened: EtcdDcs[] = [];
  beforeAll(async () => {
    etcd = await startEtcd({ size: 3 });
  });
  afterAll(async () => {
    for (const node of etcd?.nodes ?? []) {
      try {
        node.thaw();
      } catch {
        // the node already exited
      }
    }
    await Promise.all(opened.map((dcs) => dcs.close()));
    await etcd?.stop();
  });
  const running = (): EtcdCluster => {
    if (etcd === undefined) throw new Error('etcd is not started yet (use it inside a test)');
    return etcd;
  };
  return {
    etcd: running,
    open(options) {
      const dcs = new EtcdDcs({ ...options, hosts: options.hosts ?? [...running().endpoints] } as EtcdDcsOptions);
      opened.push(dcs);
      return dcs;
    },
  };
}
