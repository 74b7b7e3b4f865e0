/**
 * A TCP proxy on a free loopback port in front of one server, that a test
 * can cut and restore: one member's network to the DCS failing while the
 * others' keeps working (INCIDENTS #1, the flaky NIC). While cut, open
 * connections are reset and new ones are accepted and reset at once, as a
 * dead link looks to a client that reconnects.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { getFreePort } from './ports.js';

export interface TcpProxy {
  /** `127.0.0.1:<port>` to give the client instead of the server's address. */
  readonly address: string;
  readonly port: number;
  /** Reset every open connection and refuse new ones until `restore()`. */
  cut(): void;
  restore(): void;
  readonly isCut: boolean;
  /** How many times it was cut. */
  readonly cuts: number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const port = await getFreePort();
  const open = new Set<Socket>();
  let isCut = false;
  let cuts = 0;
  const track = (socket: Socket): void => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    if (isCut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    address: `127.0.0.1:${port}`,
    port,
    get isCut() {
      return isCut;
    },
    get cuts() {
      return cuts;
    },
    cut() {
      if (isCut) return;
      isCut = true;
      cuts += 1;
      for (const socket of open) socket.resetAndDestroy();
    },
    restore() {
      isCut = false;
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
