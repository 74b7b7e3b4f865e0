import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { getFreePort } from './ports.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function echoServer(): Promise<{ port: number }> {
  const port = await getFreePort();
  const server: Server = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { port };
}

async function through(proxy: TcpProxy): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  const socket = connect(proxy.port, '127.0.0.1');
  let data = '';
  let closed = false;
  socket.on('data', (chunk) => (data += chunk.toString()));
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  await new Promise((resolve) => socket.once('connect', resolve));
  cleanups.push(async () => void socket.destroy());
  return { socket, received: () => data, closed: () => closed };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('startTcpProxy', () => {
  it('passes bytes both ways, holds them while black-holed without closing anything, and lets them through on restore', async () => {
    const { port } = await echoServer();
    const proxy = await startTcpProxy({ host: '127.0.0.1', port });
    cleanups.push(() => proxy.close());
    const client = await through(proxy);
    client.socket.write('one');
    await pause(50);
    expect(client.received()).toBe('one');
    proxy.blackhole();
    client.socket.write('two');
    const late = await through(proxy);
    late.socket.write('three');
    await pause(200);
    expect(client.received()).toBe('one');
    expect(late.received()).toBe('');
    expect(client.closed() || late.closed()).toBe(false);
    proxy.restore();
    await pause(100);
    expect(client.received()).toBe('onetwo');
    expect(late.received()).toBe('three');
  });

  it('resets open connections when cut and new ones until restored', async () => {
    const { port } = await echoServer();
    const proxy = await startTcpProxy({ host: '127.0.0.1', port });
    cleanups.push(() => proxy.close());
    const client = await through(proxy);
    proxy.cut();
    await pause(50);
    expect(client.closed()).toBe(true);
    expect(proxy.cuts).toBe(1);
    proxy.restore();
    const again = await through(proxy);
    again.socket.write('back');
    await pause(50);
    expect(again.received()).toBe('back');
  });
});
