/**
 * An in-process MODEL of Consul's HTTP API — not a real Consul. No Consul
 * server can run on these machines (not in Debian; licence), so the Consul
 * adapter is checked against this model of the documented semantics of the
 * KV store (`/v1/kv`: recurse, cas, acquire/release, flags, base64 values,
 * 404 on missing keys, blocking queries with index/wait and X-Consul-Index)
 * and of sessions (`/v1/session`: TTL between SessionTTLMin and 24 h,
 * invalidation after 2 × TTL, behavior=delete/release, lock-delay), with
 * Consul's status codes and error texts. Whatever the model gets wrong, the
 * adapter's tests cannot see: label results as "checked against the model".
 *
 * The model can be stopped and started again on the same port (state kept,
 * session timers reset to a full 2 × TTL on start, as a new Consul leader
 * does) so that outage cases can run against it.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { ConsulModelStore } from './consul-model-store.js';
import { handleAgentSelf, handleKv, handleSession, type ModelSettings } from './consul-model-http.js';
import { getFreePort } from './ports.js';

export interface StartConsulModelOptions {
  /** Consul's `session_ttl_min` (default 10 s, as Consul). */
  readonly sessionTtlMinMs?: number;
  /** ACL: when set, requests without this token get 403 "Permission denied". */
  readonly token?: string;
  /** Serve HTTPS with this PEM key/certificate (and require client certificates signed by `ca` when given). */
  readonly tls?: { readonly key: string; readonly cert: string; readonly ca?: string };
}

/** A request as the model received it, for tests of an adapter's request mapping. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** Raw query string without `?`. */
  readonly query: string;
  readonly token?: string;
  readonly body: string;
}

export interface ConsulModel {
  /** `http(s)://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly store: ConsulModelStore;
  /** Every request received, in order (tests may clear it with `length = 0`). */
  readonly requests: RecordedRequest[];
  /** Answer the next `count` requests with this status and body instead of handling them (fault injection). */
  failNext(count: number, status: number, body: string): void;
  /** Raw value of a key (no leading slash), undefined when absent. */
  readRaw(key: string): string | undefined;
  /** Write a raw value without a session. */
  writeRaw(key: string, value: string): void;
  /** Stop answering (listener closed, open connections dropped); state is kept. */
  stop(): Promise<void>;
  /** Answer again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function tokenOf(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers['x-consul-token'];
  if (typeof header === 'string') return header;
  const bearer = request.headers.authorization;
  if (typeof bearer === 'string' && bearer.startsWith('Bearer ')) return bearer.slice('Bearer '.length);
  return url.searchParams.get('token') ?? undefined;
}

interface Faults {
  count: number;
  status: number;
  body: string;
}

async function route(
  store: ConsulModelStore,
  settings: ModelSettings,
  log: RecordedRequest[],
  faults: Faults,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://model');
  const body = await readBody(request);
  const token = tokenOf(request, url);
  log.push({ method: request.method ?? '', path: url.pathname, query: url.search.slice(1), ...(token !== undefined ? { token } : {}), body: body.toString('utf8') });
  if (faults.count > 0) {
    faults.count -= 1;
    response.writeHead(faults.status, { 'Content-Type': 'text/plain' });
    response.end(faults.body);
    return;
  }
  if (settings.token !== undefined && token !== settings.token) {
    response.writeHead(403, { 'Content-Type': 'text/plain' });
    response.end('Permission denied');
    return;
  }
  if (url.pathname.startsWith('/v1/kv/')) return handleKv(store, request, response, url, body);
  if (url.pathname.startsWith('/v1/session/')) return handleSession(store, settings, request, response, url, body);
  if (url.pathname === '/v1/agent/self' && request.method === 'GET') return handleAgentSelf(settings, response);
  response.writeHead(404, { 'Content-Type': 'text/plain' });
  response.end(`Invalid URL path: not a recognized HTTP API endpoint (model): ${url.pathname}`);
}

export async function startConsulModel(options: StartConsulModelOptions = {}): Promise<ConsulModel> {
  const settings: ModelSettings = { sessionTtlMinMs: options.sessionTtlMinMs ?? 10_000, ...(options.token !== undefined ? { token: options.token } : {}) };
  const store = new ConsulModelStore();
  const port = await getFreePort();
  const sockets = new Set<Socket>();
  const requests: RecordedRequest[] = [];
  const faults: Faults = { count: 0, status: 500, body: '' };
  let server: Server | undefined;
  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    route(store, settings, requests, faults, request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain' });
      response.end(error instanceof Error ? error.message : String(error));
    });
  };
  const listen = async (): Promise<void> => {
    const created = options.tls
      ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert, ...(options.tls.ca ? { ca: options.tls.ca, requestCert: true, rejectUnauthorized: true } : {}) }, handler)
      : createHttpServer(handler);
    created.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      created.once('error', reject);
      created.listen(port, '127.0.0.1', () => resolve());
    });
    server = created;
    store.resumeTimers();
  };
  const stop = async (): Promise<void> => {
    const running = server;
    server = undefined;
    store.pauseTimers();
    if (running === undefined) return;
    const closed = new Promise<void>((resolve) => running.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  await listen();
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    store,
    requests,
    failNext: (count, status, body) => {
      Object.assign(faults, { count, status, body });
    },
    readRaw: (key) => store.entries.get(key)?.value.toString('utf8'),
    writeRaw: (key, value) => {
      store.put(key, Buffer.from(value, 'utf8'), 0);
    },
    stop,
    start: async () => {
      if (server === undefined) await listen();
    },
    close: async () => {
      await stop();
      store.clear();
    },
  };
}
