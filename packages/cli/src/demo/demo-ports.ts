/**
 * Ports of the demo: the documented defaults (etcd 2379/2380, PostgreSQL
 * 5432-5434, REST API 8008-8010, HAProxy 5000/5001, stats 7000) when they
 * are free on 127.0.0.1, otherwise a free port picked by the OS for that one
 * service, so the demo runs beside anything else on the machine.
 */
import { createServer } from 'node:net';
import type { DemoPorts } from './demo-config.js';

export const DEFAULT_PORTS: DemoPorts = {
  etcdClient: 2379,
  etcdPeer: 2380,
  postgres: [5432, 5433, 5434],
  restApi: [8008, 8009, 8010],
  haproxyPrimary: 5000,
  haproxyReplicas: 5001,
  haproxyStats: 7000,
};

function listenOn(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const chosen = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => resolve(chosen));
    });
  });
}

export async function choosePorts(preferred: DemoPorts = DEFAULT_PORTS, useDefaults = true): Promise<DemoPorts> {
  const taken = new Set<number>();
  const pick = async (port: number): Promise<number> => {
    if (useDefaults && !taken.has(port) && (await listenOn(port)) === port) {
      taken.add(port);
      return port;
    }
    for (;;) {
      const free = await listenOn(0);
      if (free !== undefined && !taken.has(free)) {
        taken.add(free);
        return free;
      }
    }
  };
  const three = async (ports: readonly [number, number, number]): Promise<[number, number, number]> => [await pick(ports[0]), await pick(ports[1]), await pick(ports[2])];
  return {
    etcdClient: await pick(preferred.etcdClient),
    etcdPeer: await pick(preferred.etcdPeer),
    postgres: await three(preferred.postgres),
    restApi: await three(preferred.restApi),
    haproxyPrimary: await pick(preferred.haproxyPrimary),
    haproxyReplicas: await pick(preferred.haproxyReplicas),
    haproxyStats: await pick(preferred.haproxyStats),
  };
}
