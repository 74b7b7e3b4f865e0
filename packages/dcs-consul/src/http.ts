/**
 * One HTTP exchange with the Consul agent, bounded in time. Every answer the
 * agent gives comes back as data (`ConsulResponse`); only a failure to get an
 * answer (refused, reset, TLS, timeout, abort) is thrown, as
 * `ConsulTransportError`. Classification lives in errors.ts.
 */
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';

// node:http(s) through process.getBuiltinModule, not an ESM import: importing node:http
// from ESM builds its facade, which evaluates every export, including the lazy
// undici-backed WebSocket/fetch getters (~10 MiB resident, measured) the agent never uses.
const { Agent: HttpAgentClass, request: httpRequest } = process.getBuiltinModule('node:http');
// node:https (and node:tls under it, ~3 MiB resident, measured) only when TLS is configured.

export interface ConsulRequest {
  readonly method: 'GET' | 'PUT' | 'DELETE';
  /** Path below the agent URL, e.g. `/v1/kv/service/demo/leader`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface ConsulResponse {
  readonly status: number;
  readonly body: string;
  /** X-Consul-Index, when the agent sent one. */
  readonly index?: number;
}

export class ConsulTransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConsulTransportError';
  }
}

export interface TransportOptions {
  readonly baseUrl: string;
  readonly token?: string;
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string; readonly verify: boolean };
}

/** Query string as Consul expects it: flags (`recurse`, `consistent`) without a value. */
export function encodeQuery(query: ConsulRequest['query']): string {
  if (query === undefined) return '';
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === false) continue;
    parts.push(value === true ? name : `${name}=${encodeURIComponent(String(value))}`);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/** Keys are sent as path segments: each segment encoded, slashes kept. */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

export class ConsulTransport {
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly secure: boolean;

  constructor(private readonly options: TransportOptions) {
    this.secure = options.baseUrl.startsWith('https:');
    const tls = options.tls;
    this.agent = this.secure
      ? new (process.getBuiltinModule('node:https').Agent)({
          keepAlive: true,
          ...(tls?.ca !== undefined ? { ca: tls.ca } : {}),
          ...(tls?.cert !== undefined ? { cert: tls.cert } : {}),
          ...(tls?.key !== undefined ? { key: tls.key } : {}),
          rejectUnauthorized: tls?.verify ?? true,
        })
      : new HttpAgentClass({ keepAlive: true });
  }

  send(request: ConsulRequest): Promise<ConsulResponse> {
    const url = new URL(`${this.options.baseUrl}${request.path}${encodeQuery(request.query)}`);
    const headers: Record<string, string> = {};
    if (this.options.token !== undefined) headers['X-Consul-Token'] = this.options.token;
    if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
    const issue = this.secure ? process.getBuiltinModule('node:https').request : httpRequest;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (message: string, cause?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        outgoing.destroy();
        reject(new ConsulTransportError(message, { cause }));
      };
      const onAbort = (): void => fail(`${request.method} ${request.path} aborted`);
      const timer = setTimeout(() => fail(`${request.method} ${request.path}: no answer within ${Math.round(request.timeoutMs)} ms`), request.timeoutMs);
      const outgoing = issue(url, { method: request.method, headers, agent: this.agent }, (incoming: IncomingMessage) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', (error) => fail(`${request.method} ${request.path}: ${error.message}`, error));
        incoming.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          request.signal?.removeEventListener('abort', onAbort);
          const header = incoming.headers['x-consul-index'];
          const index = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
          resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ...(index !== undefined ? { index } : {}) });
        });
      });
      outgoing.on('error', (error) => fail(`${request.method} ${request.path}: ${error.message}`, error));
      if (request.signal?.aborted) return onAbort();
      request.signal?.addEventListener('abort', onAbort, { once: true });
      outgoing.end(request.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
