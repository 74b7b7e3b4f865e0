/**
 * The contract harness for this adapter: real ZooKeeper (1 or 3 servers)
 * started by the test, ZooKeeperDcs members built on it, raw znode access
 * with a plain node-zookeeper-client.
 */
import type { DcsContractHarness } from '@pgwarden/testkit/contract';
import { startZooKeeper, type ZooKeeperEnsemble } from '@pgwarden/testkit';
import zookeeper, { type Client } from 'node-zookeeper-client';

export const contractTimings = { ttlSeconds: 2, loopWaitSeconds: 0.5, retryTimeoutSeconds: 2 };

/** A plain client for raw reads and writes (no session semantics of ours). */
export async function rawClient(connectionString: string): Promise<Client> {
  const client = zookeeper.createClient(connectionString, { sessionTimeout: 30_000, spinDelay: 100, retries: 3 });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('raw zookeeper client did not connect')), 20_000);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve();
    });
    client.connect();
  });
  return client;
}

export function rawRead(client: Client, path: string): Promise<string | undefined> {
  return new Promise((resolve, reject) =>
    client.getData(path, (error, data) => {
      if (error && (error as { code?: number }).code === zookeeper.Exception.NO_NODE) resolve(undefined);
      else if (error) reject(error);
      else resolve(data ? data.toString('utf8') : '');
    }),
  );
}

export async function rawWrite(client: Client, path: string, value: string): Promise<void> {
  await new Promise<void>((resolve, reject) => client.mkdirp(path, (error) => (error ? reject(error) : resolve())));
  await new Promise<void>((resolve, reject) => client.setData(path, Buffer.from(value, 'utf8'), -1, (error) => (error ? reject(error) : resolve())));
}

export async function startZooKeeperHarness(size: number): Promise<DcsContractHarness & { ensemble: ZooKeeperEnsemble }> {
  const { ZooKeeperDcs } = await import('../src/index.js');
  const ensemble = await startZooKeeper({ size });
  const raw = await rawClient(ensemble.connectionString);
  const path = (scope: string, relative: string): string => `/service/${scope}/${relative}`;
  return {
    ensemble,
    backend: 'zookeeper',
    timings: contractTimings,
    createDcs: (member) =>
      new ZooKeeperDcs({ hosts: ensemble.connectionString, scope: member.scope, name: member.name, ...member.timings, clock: member.clock }),
    readRaw: (scope, relative) => rawRead(raw, path(scope, relative)),
    writeRaw: (scope, relative, value) => rawWrite(raw, path(scope, relative), value),
    servers: {
      count: ensemble.servers.length,
      stop: (index) => ensemble.servers[index]!.stop(),
      start: (index) => ensemble.servers[index]!.start(),
    },
    close: async () => {
      raw.close();
      await ensemble.stop();
    },
  };
}
