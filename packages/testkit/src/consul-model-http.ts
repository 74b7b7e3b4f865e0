/**
 * HTTP handlers of the Consul model (see consul-model.ts): the documented
 * subset of Consul's `/v1/kv`, `/v1/session` and `/v1/agent/self` endpoints,
 * with Consul's status codes, headers and error texts. A MODEL, not Consul.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConsulModelStore, ModelEntry, ModelSession } from './consul-model-store.js';

export interface ModelSettings {
  readonly sessionTtlMinMs: number;
  /** When set, every request must carry this ACL token (X-Consul-Token or ?token=). */
  readonly token?: string;
}

const SESSION_TTL_MAX_MS = 86_400_000;
const MAX_WAIT_MS = 600_000;
const MAX_VALUE_BYTES = 512 * 1024;

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration for the forms clients send (`15.0s`, `0.001s`, `1m30s`); undefined when invalid. */
export function parseGoDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  const pattern = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN);
    matched = pattern.lastIndex;
  }
  return matched === text.length && text.length > 0 && Number.isFinite(total) ? total : undefined;
}

function formatGoDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h0m0s`;
  return `${ms / 1000}s`;
}

function send(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': body.startsWith('[') || body.startsWith('{') ? 'application/json' : 'text/plain', ...headers });
  response.end(body);
}

function entryJson(key: string, entry: ModelEntry): Record<string, unknown> {
  return {
    LockIndex: entry.lockIndex,
    Key: key,
    Flags: entry.flags,
    Value: entry.value.length === 0 ? null : entry.value.toString('base64'),
    CreateIndex: entry.createIndex,
    ModifyIndex: entry.modifyIndex,
    ...(entry.session !== undefined ? { Session: entry.session } : {}),
  };
}

function sessionJson(session: ModelSession): Record<string, unknown> {
  return {
    ID: session.id,
    Name: session.name,
    Node: 'consul-model',
    LockDelay: session.lockDelayMs * 1e6,
    Behavior: session.behavior,
    TTL: session.ttlMs === 0 ? '' : `${session.ttlMs / 1000}s`,
    NodeChecks: [],
    ServiceChecks: null,
    CreateIndex: session.createIndex,
    ModifyIndex: session.createIndex,
  };
}

function optionalInteger(params: URLSearchParams, name: string): number | undefined | 'bad' {
  const text = params.get(name);
  if (text === null) return undefined;
  return /^\d+$/.test(text) ? Number(text) : 'bad';
}

/** Wait until the query's index passes `minIndex` or `waitMs` elapses (Consul's blocking query). */
function block(store: ConsulModelStore, indexOf: () => number, minIndex: number, waitMs: number, request: IncomingMessage): Promise<void> {
  if (minIndex === 0 || indexOf() > minIndex) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      unsubscribe();
      request.off('close', finish);
      resolve();
    };
    const timer = setTimeout(finish, waitMs);
    const unsubscribe = store.onChange(() => {
      if (indexOf() > minIndex) finish();
    });
    request.on('close', finish);
  });
}

export async function handleKv(store: ConsulModelStore, request: IncomingMessage, response: ServerResponse, url: URL, body: Buffer): Promise<void> {
  const key = decodeURIComponent(url.pathname.slice('/v1/kv/'.length));
  const params = url.searchParams;
  const cas = optionalInteger(params, 'cas');
  const flags = optionalInteger(params, 'flags');
  if (cas === 'bad' || flags === 'bad') return send(response, 400, 'Invalid index or flags');
  if (request.method === 'GET') return getKv(store, request, response, key, params);
  if (request.method === 'PUT') {
    if (body.length > MAX_VALUE_BYTES) return send(response, 413, `Value exceeds ${MAX_VALUE_BYTES} byte limit`);
    const acquire = params.get('acquire');
    const release = params.get('release');
    if (acquire !== null && release !== null) return send(response, 400, `Conflicting flags: ${params.toString()}`);
    let result: boolean | 'invalid-session';
    if (cas !== undefined) result = store.put(key, body, flags ?? 0, cas);
    else if (acquire !== null) result = store.acquire(key, body, flags ?? 0, acquire, Date.now());
    else if (release !== null) result = store.release(key, body, flags ?? 0, release);
    else result = store.put(key, body, flags ?? 0);
    if (result === 'invalid-session') return send(response, 500, `invalid session "${acquire ?? release ?? ''}"`);
    return send(response, 200, String(result), { 'Content-Type': 'application/json' });
  }
  if (request.method === 'DELETE') {
    const result = store.delete(key, { recurse: params.has('recurse'), ...(cas !== undefined ? { cas } : {}) });
    return send(response, 200, String(result), { 'Content-Type': 'application/json' });
  }
  send(response, 405, `method ${request.method ?? ''} not allowed`);
}

async function getKv(store: ConsulModelStore, request: IncomingMessage, response: ServerResponse, key: string, params: URLSearchParams): Promise<void> {
  const recurse = params.has('recurse');
  const indexOf = (): number => (recurse ? store.prefixIndex(key) : store.keyIndex(key));
  const minIndex = optionalInteger(params, 'index');
  if (minIndex === 'bad') return send(response, 400, 'Invalid index');
  const waitText = params.get('wait');
  const waitMs = waitText === null ? 300_000 : parseGoDurationMs(waitText);
  if (waitMs === undefined) return send(response, 400, `Invalid wait time: ${waitText ?? ''}`);
  await block(store, indexOf, minIndex ?? 0, Math.min(waitMs, MAX_WAIT_MS), request);
  const headers = { 'X-Consul-Index': String(indexOf()), 'X-Consul-KnownLeader': 'true', 'X-Consul-LastContact': '0' };
  const found = recurse ? store.list(key) : store.entries.has(key) ? [[key, store.entries.get(key)!] as [string, ModelEntry]] : [];
  if (found.length === 0) return send(response, 404, '', headers);
  if (params.has('raw') && !recurse) return send(response, 200, found[0]![1].value.toString('utf8'), { ...headers, 'Content-Type': 'application/octet-stream' });
  send(response, 200, JSON.stringify(found.map(([name, entry]) => entryJson(name, entry))), headers);
}

function readCaseInsensitive(object: Record<string, unknown>, name: string): unknown {
  const field = Object.keys(object).find((candidate) => candidate.toLowerCase() === name);
  return field === undefined ? undefined : object[field];
}

export function handleSession(store: ConsulModelStore, settings: ModelSettings, request: IncomingMessage, response: ServerResponse, url: URL, body: Buffer): void {
  const [, , , action, id = ''] = url.pathname.split('/');
  if (action === 'create' && request.method === 'PUT') {
    let input: Record<string, unknown> = {};
    try {
      input = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as Record<string, unknown>);
    } catch (error) {
      return send(response, 400, `Request decode failed: ${(error as Error).message}`);
    }
    const ttlText = readCaseInsensitive(input, 'ttl');
    const ttlMs = typeof ttlText === 'string' && ttlText !== '' ? parseGoDurationMs(ttlText) : 0;
    if (ttlMs === undefined) return send(response, 400, `Request decode failed: time: invalid duration "${String(ttlText)}"`);
    if (ttlMs !== 0 && (ttlMs < settings.sessionTtlMinMs || ttlMs > SESSION_TTL_MAX_MS)) {
      const range = `[${formatGoDuration(settings.sessionTtlMinMs)}=${formatGoDuration(SESSION_TTL_MAX_MS)}]`;
      return send(response, 500, `Invalid Session TTL '${ttlMs * 1e6}', must be between ${range}`);
    }
    const lockDelayText = readCaseInsensitive(input, 'lockdelay');
    const lockDelayMs = typeof lockDelayText === 'string' ? parseGoDurationMs(lockDelayText) : typeof lockDelayText === 'number' ? lockDelayText / 1e6 : 15_000;
    if (lockDelayMs === undefined) return send(response, 400, `Request decode failed: time: invalid duration "${String(lockDelayText)}"`);
    const behavior = readCaseInsensitive(input, 'behavior') ?? 'release';
    if (behavior !== 'release' && behavior !== 'delete') return send(response, 500, `Invalid Behavior setting '${String(behavior)}'`);
    const name = readCaseInsensitive(input, 'name');
    const session = store.createSession({ name: typeof name === 'string' ? name : '', ttlMs, behavior, lockDelayMs });
    return send(response, 200, JSON.stringify({ ID: session.id }));
  }
  if (action === 'renew' && request.method === 'PUT') {
    const session = store.renewSession(id);
    if (session === undefined) return send(response, 404, `Session id '${id}' not found`);
    return send(response, 200, JSON.stringify([sessionJson(session)]));
  }
  if (action === 'destroy' && request.method === 'PUT') {
    store.invalidateSession(id, Date.now());
    return send(response, 200, 'true');
  }
  if (action === 'info' && request.method === 'GET') {
    const session = store.sessions.get(id);
    return send(response, 200, session === undefined ? 'null' : JSON.stringify([sessionJson(session)]), { 'X-Consul-Index': String(store.index) });
  }
  send(response, 405, `method ${request.method ?? ''} not allowed`);
}

export function handleAgentSelf(settings: ModelSettings, response: ServerResponse): void {
  const config = { Datacenter: 'dc1', NodeName: 'consul-model', Server: true, Version: 'model', SessionTTLMin: settings.sessionTtlMinMs * 1e6 };
  send(response, 200, JSON.stringify({ Config: config, DebugConfig: { SessionTTLMin: `${settings.sessionTtlMinMs / 1000}s` } }));
}
