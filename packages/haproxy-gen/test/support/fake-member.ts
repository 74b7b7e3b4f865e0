/**
 * A stand-in for one cluster member as HAProxy sees it: a REST API answering
 * the health endpoints (200/503 by the role we give it) and a "database" TCP
 * server that greets each connection with the member's name and echoes, so a
 * test knows which member a connection through HAProxy reached.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { Member } from '@pgwarden/core';
import { getFreePort } from '@pgwarden/testkit';

export type FakeRole = 'primary' | 'replica';

export interface FakeMember {
  readonly name: string;
  readonly apiPort: number;
  readonly databasePort: number;
  role: FakeRole;
  /** Health-check requests received, e.g. "OPTIONS /primary". */
  readonly checks: string[];
  /** The DCS member entry pointing at this fake. */
  member(): Member;
  stop(): Promise<void>;
}

function healthCode(role: FakeRole, path: string): number {
  if (path.startsWith('/primary') || path.startsWith('/read-write')) return role === 'primary' ? 200 : 503;
  if (path.startsWith('/replica')) return role === 'replica' ? 200 : 503;
  return 503;
}

function listen(server: HttpServer | TcpServer, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

export interface FakeMemberOptions {
  /** Serve the REST API over https with this PEM certificate and key. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export async function startFakeMember(name: string, role: FakeRole, options: FakeMemberOptions = {}): Promise<FakeMember> {
  const apiPort = await getFreePort();
  const databasePort = await getFreePort();
  const sockets = new Set<Socket>();
  const checks: string[] = [];
  const fake = {
    name,
    apiPort,
    databasePort,
    role,
    checks,
    member: (): Member => ({
      name,
      version: 1,
      data: { conn_url: `postgres://127.0.0.1:${databasePort}/postgres`, api_url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${apiPort}/patroni`, role: fake.role, state: 'running' },
    }),
    stop: async () => undefined,
  };
  const answer = (request: IncomingMessage, response: ServerResponse): void => {
    checks.push(`${request.method ?? ''} ${request.url ?? ''}`);
    response.writeHead(healthCode(fake.role, request.url ?? '/'), { connection: 'close' });
    response.end();
  };
  const api: HttpServer = options.tls === undefined ? createHttpServer(answer) : createHttpsServer(options.tls, answer);
  const database = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write(`${name}\n`);
    socket.pipe(socket);
  });
  await listen(api, apiPort);
  await listen(database, databasePort);
  fake.stop = async () => {
    for (const socket of sockets) socket.destroy();
    api.closeAllConnections();
    await Promise.all([new Promise((resolve) => api.close(resolve)), new Promise((resolve) => database.close(resolve))]);
  };
  return fake;
}
