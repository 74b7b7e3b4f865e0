/**
 * Consul's KV endpoints as typed results (spec/dcs.md §4.2): reads decode the
 * base64 `Value` (null is the empty string) and keep ModifyIndex and Session;
 * a 404 is "no key", not an error; writes answer `true`/`false`.
 */
import { call, type ClientContext } from './client.js';
import { describeAnswer } from './errors.js';
import { encodeKeyPath, type ConsulRequest } from './http.js';

export interface KvEntry {
  /** Full key as Consul returns it, e.g. `service/demo/leader`. */
  readonly key: string;
  readonly value: string;
  readonly modifyIndex: number;
  readonly session?: string;
}

export interface KvSettings {
  readonly consistency: 'default' | 'consistent' | 'stale';
  readonly dc?: string;
}

export type ReadResult =
  | { readonly ok: true; readonly entries: readonly KvEntry[]; readonly index: number | undefined }
  | { readonly ok: false; readonly message: string };

export type WriteResult = { readonly ok: true; readonly applied: boolean } | { readonly ok: false; readonly invalidSession: boolean; readonly message: string };

type Query = NonNullable<ConsulRequest['query']>;

function readQuery(settings: KvSettings, consistency: KvSettings['consistency']): Query {
  return {
    ...(consistency === 'consistent' ? { consistent: true } : consistency === 'stale' ? { stale: true } : {}),
    ...(settings.dc !== undefined ? { dc: settings.dc } : {}),
  };
}

export function parseEntries(body: string): KvEntry[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const entries: KvEntry[] = [];
  for (const item of parsed as Array<Record<string, unknown>>) {
    if (typeof item !== 'object' || item === null || typeof item['Key'] !== 'string') continue;
    const raw = item['Value'];
    const value = typeof raw === 'string' ? Buffer.from(raw, 'base64').toString('utf8') : '';
    const modifyIndex = typeof item['ModifyIndex'] === 'number' ? item['ModifyIndex'] : 0;
    const session = typeof item['Session'] === 'string' && item['Session'] !== '' ? item['Session'] : undefined;
    entries.push({ key: item['Key'], value, modifyIndex, ...(session !== undefined ? { session } : {}) });
  }
  return entries;
}

export interface ReadOptions {
  readonly recurse: boolean;
  readonly consistency?: KvSettings['consistency'];
  /** Blocking query: wait until the index passes this one, up to `waitMs`. */
  readonly blocking?: { readonly index: number; readonly waitMs: number };
  readonly signal?: AbortSignal;
}

/** GET one key or a prefix; 404 → no entries. */
export async function readKv(context: ClientContext, settings: KvSettings, key: string, options: ReadOptions, deadline: number): Promise<ReadResult> {
  const query: Query = {
    ...(options.recurse ? { recurse: true } : {}),
    ...readQuery(settings, options.consistency ?? settings.consistency),
    ...(options.blocking ? { index: options.blocking.index, wait: `${Math.max(1, Math.round(options.blocking.waitMs))}ms` } : {}),
  };
  const request = {
    method: 'GET' as const,
    path: `/v1/kv/${encodeKeyPath(key)}`,
    query,
    ...(options.signal ? { signal: options.signal } : {}),
    // Spec §4.2: the HTTP timeout of a blocking query is wait + max(wait/15, 1 s).
    ...(options.blocking ? { timeoutMs: options.blocking.waitMs + Math.max(options.blocking.waitMs / 15, 1000) } : {}),
  };
  const result = await call(context, request, deadline);
  if (result.kind === 'failed') return { ok: false, message: result.message };
  if (result.answer === 'not-found') return { ok: true, entries: [], index: result.response.index };
  if (result.answer !== 'ok') return { ok: false, message: describeAnswer(result.response) };
  const entries = parseEntries(result.response.body);
  if (entries === undefined) return { ok: false, message: `unexpected answer to GET ${key}: ${result.response.body.slice(0, 200)}` };
  return { ok: true, entries, index: result.response.index };
}

async function writeKv(context: ClientContext, request: Omit<ConsulRequest, 'timeoutMs'>, deadline: number): Promise<WriteResult> {
  const result = await call(context, request, deadline);
  if (result.kind === 'failed') return { ok: false, invalidSession: false, message: result.message };
  if (result.answer === 'invalid-session') return { ok: false, invalidSession: true, message: describeAnswer(result.response) };
  if (result.answer !== 'ok') return { ok: false, invalidSession: false, message: describeAnswer(result.response) };
  const text = result.response.body.trim();
  if (text !== 'true' && text !== 'false') return { ok: false, invalidSession: false, message: `unexpected answer: ${text.slice(0, 200)}` };
  return { ok: true, applied: text === 'true' };
}

export interface PutOptions {
  /** Create-only with 0, else write only if ModifyIndex matches. */
  readonly cas?: number;
  /** Lock the key with this session (or update it if the session already holds it). */
  readonly acquire?: string;
}

export function putKv(context: ClientContext, settings: KvSettings, key: string, value: string, options: PutOptions, deadline: number): Promise<WriteResult> {
  const query: Query = {
    ...(options.cas !== undefined ? { cas: options.cas } : {}),
    ...(options.acquire !== undefined ? { acquire: options.acquire } : {}),
    ...(settings.dc !== undefined ? { dc: settings.dc } : {}),
  };
  return writeKv(context, { method: 'PUT', path: `/v1/kv/${encodeKeyPath(key)}`, query, body: value }, deadline);
}

export function deleteKv(context: ClientContext, settings: KvSettings, key: string, options: { cas?: number; recurse?: boolean }, deadline: number): Promise<WriteResult> {
  const query: Query = {
    ...(options.cas !== undefined ? { cas: options.cas } : {}),
    ...(options.recurse ? { recurse: true } : {}),
    ...(settings.dc !== undefined ? { dc: settings.dc } : {}),
  };
  return writeKv(context, { method: 'DELETE', path: `/v1/kv/${encodeKeyPath(key)}`, query }, deadline);
}
