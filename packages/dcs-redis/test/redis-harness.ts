/**
 * The contract harness for this adapter: a real redis-server started by the
 * test on its own port (stopped afterwards, also on failure), RedisDcs
 * members built on it, raw key access with a plain ioredis client in the
 * adapter's storage format (hash {value, version, session} + the index).
 */
import type { DcsContractHarness } from '@pgwarden/testkit/contract';
import { startRedis, type RedisServer, type StartRedisOptions } from '@pgwarden/testkit';
import { Redis } from 'ioredis';
import { RedisDcs, clusterKeys, type RedisDcsOptions } from '../src/index.js';

export const contractTimings = { ttlSeconds: 2, loopWaitSeconds: 0.5, retryTimeoutSeconds: 2 };

/** A raw client that fails fast while the server is down. */
export function rawClient(server: RedisServer): Redis {
  return new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
}

export async function writeRawKey(raw: Redis, scope: string, relative: string, value: string): Promise<void> {
  const keys = clusterKeys('/service/', scope);
  const version = await raw.incr(keys.revision);
  await raw.hset(keys.key(relative), 'value', value, 'version', version, 'session', '');
  await raw.sadd(keys.index, relative);
}

export async function startRedisHarness(options: StartRedisOptions = {}): Promise<DcsContractHarness & { readonly server: RedisServer }> {
  const server = await startRedis(options);
  const raw = rawClient(server);
  raw.on('error', () => undefined);
  return {
    backend: 'redis',
    server,
    timings: contractTimings,
    createDcs: (member) => new RedisDcs({ host: `${server.host}:${server.port}`, scope: member.scope, name: member.name, ...member.timings, clock: member.clock }),
    readRaw: async (scope, relative) => (await raw.hget(clusterKeys('/service/', scope).key(relative), 'value')) ?? undefined,
    writeRaw: (scope, relative, value) => writeRawKey(raw, scope, relative, value),
    servers: {
      count: 1,
      stop: () => server.stop(),
      start: () => server.start(),
    },
    close: async () => {
      raw.disconnect();
      await server.destroy();
    },
  };
}

export function openOn(server: RedisServer, options: Omit<RedisDcsOptions, 'host'> & { readonly scope: string; readonly name: string }): RedisDcs {
  return new RedisDcs({ host: `${server.host}:${server.port}`, ...contractTimings, ...options });
}
