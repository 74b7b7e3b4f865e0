/**
 * HTTP/1.1 + JSON to etcd's gRPC gateway over node:http / node:https, as
 * Patroni's etcd3 backend talks to it: every call is a POST of one JSON
 * object; unary calls answer one JSON object, streams (watch) answer one
 * JSON object per line for as long as they live.
 *
 * Invariants: a request whose AbortSignal fires is rejected at once and its
 * socket destroyed (never left hanging); an etcd error answer is an
 * EtcdGatewayError carrying etcd's gRPC code; a stream reports at most one
 * failure, and nothing after it was cancelled.
 */
import { readFileSync } from 'node:fs';
import type { Agent as HttpAgent, ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { EtcdGatewayError } from './errors.js';
import { gatewayErrorBodySchema } from './gateway-answers.js';

// node:http(s) through process.getBuiltinModule, not an ESM import: importing node:http
// from ESM builds its facade, which evaluates every export, including the lazy
// undici-backed WebSocket/fetch getters (~10 MiB resident, measured) the agent never uses.
const http = process.getBuiltinModule('node:http');
// node:https (and node:tls under it, ~3 MiB resident, measured) only when TLS is configured.

export interface TransportTls {
  readonly cacert?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** Sockets idle this long start TCP keepalive probes (a watch is idle most of its life). */
const tcpKeepAliveDelayMs = 1000;

/** One keep-alive connection pool for every endpoint of one adapter. */
export interface GatewayHttp {
  readonly agent: HttpAgent;
  readonly secure: boolean;
}

export function createGatewayHttp(secure: boolean, tls: TransportTls | undefined): GatewayHttp {
  const pool = { keepAlive: true, keepAliveMsecs: tcpKeepAliveDelayMs, maxFreeSockets: 4 };
  if (!secure) return { agent: new http.Agent(pool), secure };
  return {
    agent: new (process.getBuiltinModule('node:https').Agent)({
      ...pool,
      ...(tls?.cacert !== undefined ? { ca: readFileSync(tls.cacert) } : {}),
      ...(tls?.cert !== undefined ? { cert: readFileSync(tls.cert) } : {}),
      ...(tls?.key !== undefined ? { key: readFileSync(tls.key) } : {}),
    }),
    secure,
  };
}

function startPost(connection: GatewayHttp, url: string, body: unknown, headers: Readonly<Record<string, string>>): ClientRequest {
  const payload = JSON.stringify(body);
  const request = (connection.secure ? process.getBuiltinModule('node:https') : http).request(url, {
    method: 'POST',
    agent: connection.agent,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
  });
  request.on('socket', (socket: Socket) => socket.setKeepAlive(true, tcpKeepAliveDelayMs));
  request.end(payload);
  return request;
}

/** The first JSON object of a body (a stream endpoint asked once answers one line). */
function firstJson(text: string): unknown {
  const line = text.split('\n').find((candidate) => candidate.trim() !== '');
  if (line === undefined) return undefined;
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

/** The gateway error a body (or an HTTP status >= 400) stands for; undefined for a normal answer. */
export function gatewayErrorOf(status: number, json: unknown, text: string): EtcdGatewayError | undefined {
  const parsed = gatewayErrorBodySchema.safeParse(json);
  const body = parsed.success ? parsed.data : {};
  const inner = typeof body.error === 'object' ? body.error : undefined;
  const hasError = body.error !== undefined || (status >= 400 && body.code !== undefined);
  if (!hasError && status < 400) return undefined;
  const code = body.code ?? inner?.grpc_code ?? inner?.code;
  const message =
    body.message ?? inner?.message ?? (typeof body.error === 'string' ? body.error : undefined) ?? `HTTP ${status}: ${text.trim().slice(0, 200)}`;
  return new EtcdGatewayError(message, code, status);
}

function readAll(response: IncomingMessage, onText: (text: string) => void, onError: (error: Error) => void): void {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => onText(Buffer.concat(chunks).toString('utf8')));
  response.on('error', onError);
}

/**
 * POST `body` and resolve with the JSON answer. Rejects with EtcdGatewayError
 * when etcd answered an error, with the signal's reason when it fired first,
 * with the socket's error otherwise.
 */
export function postJson(
  connection: GatewayHttp,
  url: string,
  body: unknown,
  headers: Readonly<Record<string, string>>,
  signal: AbortSignal,
): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const request = startPost(connection, url, body, headers);
    const onAbort = (): void => {
      reject(signal.reason);
      request.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const fail = (error: Error): void => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    };
    request.on('error', fail);
    request.on('response', (response) => {
      readAll(
        response,
        (text) => {
          signal.removeEventListener('abort', onAbort);
          const json = firstJson(text);
          const error = gatewayErrorOf(response.statusCode ?? 0, json, text);
          if (error !== undefined) reject(error);
          else if (json === undefined) reject(new Error(`unreadable answer from etcd (HTTP ${response.statusCode}): ${text.slice(0, 200)}`));
          else resolve(json);
        },
        fail,
      );
    });
  });
}

export interface JsonStreamHandlers {
  /** One line of the stream, parsed; etcd's error lines go to onFailure instead. */
  onMessage(json: unknown): void;
  /** The stream failed or ended; called at most once, never after cancel(). */
  onFailure(error: Error): void;
}

export interface JsonStream {
  /** Close the stream (its socket is destroyed); no handler is called afterwards. */
  cancel(): void;
}

/** POST `body` to a streaming endpoint and deliver each answer line. */
export function openJsonStream(
  connection: GatewayHttp,
  url: string,
  body: unknown,
  headers: Readonly<Record<string, string>>,
  handlers: JsonStreamHandlers,
): JsonStream {
  let finished = false;
  const request = startPost(connection, url, body, headers);
  const finish = (error: Error): void => {
    if (finished) return;
    finished = true;
    request.destroy();
    handlers.onFailure(error);
  };
  request.on('error', finish);
  request.on('response', (response) => {
    const status = response.statusCode ?? 0;
    if (status >= 400) {
      readAll(response, (text) => finish(gatewayErrorOf(status, firstJson(text), text) ?? new Error(`HTTP ${status}`)), finish);
      return;
    }
    let pending = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline >= 0 && !finished) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim() !== '') deliver(line);
        newline = pending.indexOf('\n');
      }
    });
    response.on('end', () => finish(new Error('etcd closed the stream')));
    response.on('error', finish);
  });
  const deliver = (line: string): void => {
    let json: unknown;
    try {
      json = JSON.parse(line) as unknown;
    } catch {
      finish(new Error(`unreadable line on an etcd stream: ${line.slice(0, 200)}`));
      return;
    }
    const error = gatewayErrorOf(200, json, line);
    if (error !== undefined) finish(error);
    else {
      try {
        handlers.onMessage(json);
      } catch (thrown) {
        finish(thrown instanceof Error ? thrown : new Error(String(thrown)));
      }
    }
  };
  return {
    cancel: () => {
      finished = true;
      request.destroy();
    },
  };
}
