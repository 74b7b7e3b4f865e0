/**
 * The fast path for health checks on fresh plain-HTTP connections: which
 * requests it answers itself, and that everything else reaches the HTTP
 * server unchanged (split heads, bodies, pipelined requests), that sockets
 * it owns are closed, and that the REST API answers the same either way.
 */
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { answerHealthChecksOnSocket, fastPathStatus, type BareStatus } from '../src/status-line-fast-path.js';
import { primarySnapshot, rawRequest, replicaSnapshot, startApi, stopAll } from './fixtures.js';

const okForHealth: BareStatus = (method, url) => (method === 'OPTIONS' || method === 'HEAD' ? (url.startsWith('/primary') ? 200 : 503) : undefined);

describe('fastPathStatus', () => {
  const head = (text: string) => Buffer.from(text, 'latin1');

  it('answers a complete OPTIONS or HEAD head with the status bareStatus gives', () => {
    expect(fastPathStatus(head('OPTIONS /primary HTTP/1.0\r\n\r\n'), okForHealth)).toBe(200);
    expect(fastPathStatus(head('HEAD /replica?lag=1MB HTTP/1.1\r\nHost: x\r\nUser-Agent: HAProxy\r\n\r\n'), okForHealth)).toBe(503);
  });

  it('leaves to the HTTP server what bareStatus does not answer, and anything it cannot read whole', () => {
    expect(fastPathStatus(head('GET /patroni HTTP/1.1\r\nHost: x\r\n\r\n'), okForHealth)).toBeUndefined();
    expect(fastPathStatus(head('OPTIONS /primary HTTP/1.1\r\nHost: x\r\n'), okForHealth)).toBeUndefined(); // head not complete
    expect(fastPathStatus(head('OPTIONS http://x/primary HTTP/1.1\r\n\r\n'), okForHealth)).toBeUndefined(); // absolute form
    expect(fastPathStatus(head('OPTIONS /primary HTTP/2.0\r\n\r\n'), okForHealth)).toBeUndefined();
    expect(fastPathStatus(head('OPTIONS  /primary HTTP/1.1\r\n\r\n'), okForHealth)).toBeUndefined();
    expect(fastPathStatus(head('OPTIONS /primary HTTP/1.1\r\nnot a header\r\n\r\n'), okForHealth)).toBeUndefined();
    expect(fastPathStatus(head('POST /primary HTTP/1.1\r\n\r\n'), okForHealth)).toBeUndefined();
    // a body announced (it may still be on the way), or bytes after the head
    expect(fastPathStatus(head('OPTIONS /primary HTTP/1.1\r\nContent-Length: 2\r\n\r\n'), okForHealth)).toBeUndefined();
    expect(fastPathStatus(head('OPTIONS /primary HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n'), okForHealth)).toBeUndefined();
    expect(fastPathStatus(head('OPTIONS /primary HTTP/1.1\r\n\r\n{}'), okForHealth)).toBeUndefined();
    expect(fastPathStatus(head('OPTIONS /primary HTTP/1.1\r\ncontent-length: 0\r\n\r\n'), okForHealth)).toBe(200);
    const throwing: BareStatus = () => {
      throw new Error('bug');
    };
    expect(fastPathStatus(head('OPTIONS /primary HTTP/1.1\r\n\r\n'), throwing)).toBeUndefined();
  });
});

describe('answerHealthChecksOnSocket in front of an HTTP server', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    })));
  });

  async function start(timeoutMs = 10_000): Promise<{ port: number; server: Server; seen: string[] }> {
    const seen: string[] = [];
    const server = createServer((request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const line = `${request.method} ${request.url} ${Buffer.concat(chunks).toString()}`.trim();
        seen.push(line);
        response.end(line);
      });
    });
    answerHealthChecksOnSocket(server, okForHealth, { headersTimeoutMs: timeoutMs, keepAliveInitialDelayMs: 10_000 });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, server, seen };
  }

  /** Write `parts` one by one (with a pause between them) and read until the server closes or `untilBytes` arrived. */
  function exchange(port: number, parts: string[], untilBytes = Infinity): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('connect', async () => {
        for (const part of parts) {
          socket.write(part);
          await new Promise((r) => setTimeout(r, 30));
        }
      });
      socket.on('data', (chunk) => {
        received += chunk.toString();
        if (received.length >= untilBytes) socket.end();
      });
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
  }

  const connections = (server: Server) => new Promise<number>((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));

  async function waitForNoConnections(server: Server): Promise<void> {
    for (let attempt = 0; attempt < 100 && (await connections(server)) > 0; attempt += 1) await new Promise((r) => setTimeout(r, 20));
    expect(await connections(server)).toBe(0);
  }

  it('answers a health check with the bare line without calling the request handler', async () => {
    const { port, seen, server } = await start();
    expect(await exchange(port, ['OPTIONS /primary HTTP/1.0\r\n\r\n'])).toBe('HTTP/1.0 200 OK\r\n\r\n');
    expect(await exchange(port, ['HEAD /replica HTTP/1.1\r\nHost: a\r\n\r\n'])).toBe('HTTP/1.0 503 Service Unavailable\r\n\r\n');
    expect(seen).toEqual([]);
    await waitForNoConnections(server);
  });

  it('closes an answered connection itself, without waiting for the client to close', async () => {
    const { port, server } = await start(60_000);
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const received = await new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('connect', () => socket.write('OPTIONS /primary HTTP/1.0\r\n\r\n'));
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text)); // the client keeps its side open
      socket.on('error', reject);
    });
    try {
      expect(received).toBe('HTTP/1.0 200 OK\r\n\r\n');
      await waitForNoConnections(server);
    } finally {
      socket.destroy();
    }
  });

  it('hands an OPTIONS whose body comes later to the HTTP server', async () => {
    const { port, seen } = await start();
    const answer = await exchange(port, ['OPTIONS /primary HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 2\r\n\r\n', '{}']);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(seen).toEqual(['OPTIONS /primary {}']);
  });

  it('hands a head split over two packets to the HTTP server, which reads it whole', async () => {
    const { port, seen } = await start();
    const answer = await exchange(port, ['OPTIONS /prim', 'ary HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n']);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(seen).toEqual(['OPTIONS /primary']);
  });

  it('hands over other requests with their body, also when it arrives later, and pipelined requests in order', async () => {
    const { port, seen } = await start();
    const body = JSON.stringify({ leader: 'node1', candidate: 'node2' });
    const posted = await exchange(port, [`POST /switchover HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`, body.slice(5)]);
    expect(posted).toContain(`POST /switchover ${body}`);
    const pipelined = await exchange(port, ['GET /patroni HTTP/1.1\r\nHost: a\r\n\r\nGET /cluster HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n']);
    expect(pipelined.indexOf('GET /patroni')).toBeGreaterThan(0);
    expect(pipelined.indexOf('GET /cluster')).toBeGreaterThan(pipelined.indexOf('GET /patroni'));
    expect(seen).toEqual([`POST /switchover ${body}`, 'GET /patroni', 'GET /cluster']);
  });

  it('closes a connection that ends without a request, not only at the timeout', async () => {
    const { port, server } = await start(60_000);
    const closed = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.end());
      socket.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 3000).unref();
    });
    expect(closed).toBe(true);
    await waitForNoConnections(server);
  });

  it('closes a connection that sends nothing within the timeout', async () => {
    const { port, server } = await start(200);
    const silent = connect(port, '127.0.0.1');
    const closedAfter = await new Promise<number>((resolve) => {
      const startedAt = Date.now();
      silent.on('close', () => resolve(Date.now() - startedAt));
      silent.on('error', () => undefined);
    });
    expect(closedAfter).toBeGreaterThanOrEqual(150);
    await waitForNoConnections(server);
  });
});

describe('the REST API with the fast path', () => {
  afterEach(stopAll);

  it('answers health checks the same whether the head arrives whole or in pieces', async () => {
    const { port } = await startApi(replicaSnapshot());
    const whole = await rawRequest(port, 'OPTIONS', '/replica');
    expect(whole).toBe('HTTP/1.0 200 OK\r\n\r\n');
    const pieces = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('connect', () => {
        socket.write('OPTIONS /rep');
        setTimeout(() => socket.write('lica HTTP/1.1\r\nHost: a\r\n\r\n'), 30);
      });
      socket.on('data', (chunk) => (received += chunk.toString()));
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });
    expect(pieces).toBe(whole);
    expect(await rawRequest(port, 'OPTIONS', '/primary')).toBe('HTTP/1.0 503 Service Unavailable\r\n\r\n');
  });

  it('turns TCP keepalive on for a connection it hands to the HTTP server (as Patroni, idle 10 s)', async () => {
    const { port } = await startApi(primarySnapshot());
    const socket = connect(port, '127.0.0.1');
    try {
      await new Promise<void>((resolve, reject) => {
        socket.on('connect', () => socket.write('GET /patroni HTTP/1.1\r\nHost: a\r\n\r\n'));
        socket.once('data', () => resolve());
        socket.on('error', reject);
      });
      // `ss -o` shows the server side's keepalive timer; the connection is still open (HTTP keep-alive)
      const sockets = execFileSync('ss', ['-Htno', 'state', 'established', `sport = :${port}`], { encoding: 'utf8' });
      expect(sockets).toMatch(/timer:\(keepalive,/);
    } finally {
      socket.destroy();
    }
  });

  it('answers GET /liveness with a bare line on a fresh connection and JSON routes through HTTP', async () => {
    const { port } = await startApi(primarySnapshot());
    expect(await rawRequest(port, 'GET', '/liveness')).toBe('HTTP/1.0 200 OK\r\n\r\n');
    expect(await rawRequest(port, 'GET', '/primary')).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*"role": "primary"/);
  });
});
