/**
 * A TCP proxy on a free loopback port in front of one server, that a test
 * can cut and restore: one member's network to the DCS failing while the
 * others' keeps working (INCIDENTS #1, the flaky NIC). Two ways to fail:
 *
 * - `cut()` resets every open connection and accepts-and-resets new ones, as
 *   a dead link looks to a client that reconnects;
 * - `blackhole()` leaves connections open but lets nothing through, either
 *   way, and holds new ones unanswered — a NIC that hangs, which a client
 *   notices only through its own timeouts (the harder case: no error at all).
 *   `restore()` lets the held bytes through, as TCP would after a recovery.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { getFreePort } from './ports.js';

export interface TcpProxy {
  /** `127.0.0.1:<port>` to give the client instead of the server's address. */
  readonly address: string;
  readonly port: number;
  /** Reset every open connection and refuse new ones until `restore()`. */
  cut(): void;
  /** Let nothing through and answer nothing, without closing anything, until `restore()`. */
  blackhole(): void;
  restore(): void;
  readonly isCut: boolean;
  /** How many times it was cut or black-holed. */
  readonly cuts: number;
  /** Connections accepted since the start (a client that reconnects shows here). */
  readonly connections: number;
  close(): Promise<void>;
}

type Mode = 'open' | 'reset' | 'blackhole';

interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const port = await getFreePort();
  const open = new Set<Socket>();
  const pairs = new Set<Pair>();
  let mode: Mode = 'open';
  let cuts = 0;
  let connections = 0;
  const track = (socket: Socket): void => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const join = (pair: Pair): void => {
    const upstream = (pair.upstream ??= connect(target.port, target.host));
    if (!open.has(upstream)) {
      track(upstream);
      pair.client.on('close', () => upstream.destroy());
      upstream.on('close', () => {
        pair.client.destroy();
        pairs.delete(pair);
      });
    }
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
  };
  const hold = (pair: Pair): void => {
    pair.client.unpipe();
    pair.client.pause();
    pair.upstream?.unpipe();
    pair.upstream?.pause();
  };
  const server: Server = createServer((client) => {
    connections += 1;
    track(client);
    if (mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = { client, upstream: undefined };
    pairs.add(pair);
    client.on('close', () => pairs.delete(pair));
    if (mode === 'blackhole') client.pause();
    else join(pair);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    address: `127.0.0.1:${port}`,
    port,
    get isCut() {
      return mode !== 'open';
    },
    get cuts() {
      return cuts;
    },
    get connections() {
      return connections;
    },
    cut() {
      if (mode !== 'open') return;
      mode = 'reset';
      cuts += 1;
      for (const socket of open) socket.resetAndDestroy();
    },
    blackhole() {
      if (mode !== 'open') return;
      mode = 'blackhole';
      cuts += 1;
      for (const pair of pairs) hold(pair);
    },
    restore() {
      const was = mode;
      mode = 'open';
      if (was === 'blackhole') for (const pair of pairs) join(pair);
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
