/**
 * The session handshake against a scripted server (no ZooKeeper needed): a
 * server that accepts a connection but never answers the connect request —
 * what a restarting ZooKeeper did in the contract suite's recovery case — must
 * not keep the client waiting; the next connection, answered, connects. A
 * closed connection leaves no socket open and opens none.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@pgwarden/core';
import { ZkConnection } from './zk-connection.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A connect response: protocol version, timeout, session id, password (jute). */
function connectResponse(timeoutMs: number): Buffer {
  const body = Buffer.alloc(4 + 4 + 8 + 4 + 16);
  body.writeInt32BE(0, 0);
  body.writeInt32BE(timeoutMs, 4);
  body.writeBigInt64BE(0x1234n, 8);
  body.writeInt32BE(16, 16);
  const frame = Buffer.alloc(4);
  frame.writeInt32BE(body.length, 0);
  return Buffer.concat([frame, body]);
}

interface Scripted {
  readonly server: Server;
  readonly port: number;
  readonly connections: Socket[];
  /** Connections the client has not closed. */
  open(): number;
}

/** Connections numbered from 0; those in `silent` read the handshake and never answer. */
async function scriptedServer(silent: ReadonlySet<number>): Promise<Scripted> {
  const connections: Socket[] = [];
  let closed = 0;
  const server = createServer((socket) => {
    const index = connections.push(socket) - 1;
    socket.on('error', () => undefined);
    socket.on('close', () => closed++);
    socket.once('data', () => {
      if (!silent.has(index)) socket.write(connectResponse(2000));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port, connections, open: () => connections.length - closed };
}

describe('ZkConnection handshake', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step();
  });

  const open = (port: number): ZkConnection => {
    const connection = new ZkConnection({
      connectionString: `127.0.0.1:${port}`,
      sessionTimeoutMs: 2000,
      retryTimeoutMs: () => 2000,
      clock: Date.now,
      logger: silentLogger,
    });
    cleanup.push(() => connection.close());
    return connection;
  };

  const serve = async (silent: ReadonlySet<number>): Promise<Scripted> => {
    const scripted = await scriptedServer(silent);
    cleanup.push(async () => {
      for (const socket of scripted.connections) socket.destroy();
      await new Promise<void>((resolve) => scripted.server.close(() => resolve()));
    });
    return scripted;
  };

  it('an unanswered handshake is dropped and the next connection, answered, connects', async () => {
    const scripted = await serve(new Set([0]));
    const connection = open(scripted.port);
    // Generous bound: the test asserts that the client tries again at all (it used to wait forever).
    for (let waited = 0; connection.sessionId() === undefined && waited < 20_000; waited += 50) await sleep(50);
    expect(connection.sessionId()).toBe('0000000000001234');
    expect(scripted.connections.length).toBe(2);
  });

  it('closing a connection stuck in its handshake drops the socket and opens no new one', async () => {
    const scripted = await serve(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const connection = open(scripted.port);
    for (let waited = 0; scripted.connections.length === 0 && waited < 5000; waited += 20) await sleep(20);
    await connection.close();
    const seen = scripted.connections.length;
    // Longer than the handshake bound (2 s here): a retry would have shown by now.
    await sleep(2500);
    expect(scripted.connections.length).toBe(seen);
    expect(scripted.open()).toBe(0);
  });
});
