/**
 * The `redis` section (pgwarden's own: Patroni has no Redis DCS) plus the
 * cluster identity and timings. The zod schema is the source of truth; bad
 * input is a PgwardenError `dcs-config-invalid` naming the field.
 *
 * Invariant kept here: a deployment where a Redis failover can lose the last
 * lock write (`mode: replicated`) is refused unless every lock write waits
 * (`WAIT`) for `wait_replicas` replicas; `standalone` must name exactly one
 * server and no Sentinel.
 */
import { readFileSync } from 'node:fs';
import { PgwardenError, dcsMemberSettingsShape, parseDcsSettings } from '@pgwarden/core';
import type { RedisOptions } from 'ioredis';
import { z } from 'zod';

const hostList = z.union([z.array(z.string().min(1)), z.string().min(1)]);

export const redisConnectionSchema = z
  .object({
    /** `host:port` of the Redis server (default port 6379). */
    host: z.string().min(1).optional(),
    /** Accepted with exactly one entry (same as host); several servers need `sentinels`. */
    hosts: hostList.optional(),
    /** `redis://[user:password@]host:port[/db]` or `rediss://` (TLS). */
    url: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    db: z.coerce.number().int().min(0).optional(),
    /** Connect with TLS (also implied by a `rediss://` url or any of cacert/cert/key). */
    ssl: z.boolean().optional(),
    cacert: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    /**
     * `standalone`: one Redis server, no replicas (safe for the lock; the
     * server is a single point of failure). `replicated`: a primary with
     * replicas, possibly behind Sentinel; requires `wait_replicas`.
     */
    mode: z.enum(['standalone', 'replicated']).default('standalone'),
    /** Sentinel addresses (`host:port`, default port 26379): the primary is found by `sentinel_master`. */
    sentinels: hostList.optional(),
    sentinel_master: z.string().min(1).optional(),
    /** replicated: a lock write counts only once WAIT reports at least this many replicas. */
    wait_replicas: z.coerce.number().int().min(1).optional(),
    /** replicated: WAIT timeout in seconds (default 1, must be below retry_timeout). */
    wait_timeout: z.coerce.number().positive().optional(),
  })
  .passthrough();

export const redisDcsSettingsSchema = redisConnectionSchema.extend(dcsMemberSettingsShape);

export type RedisDcsSettings = z.input<typeof redisDcsSettingsSchema>;
export type ParsedRedisSettings = z.output<typeof redisDcsSettingsSchema>;

/** What the adapter needs from WAIT; undefined in standalone mode. */
export interface WaitPolicy {
  readonly replicas: number;
  readonly timeoutMs: number;
}

function invalid(message: string): PgwardenError {
  return new PgwardenError('dcs-config-invalid', `redis: ${message}`);
}

function list(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const entries = typeof value === 'string' ? value.split(',') : [...value];
  return entries.map((entry) => entry.trim()).filter((entry) => entry !== '');
}

function splitHostPort(text: string, defaultPort: number): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text.replace(/^rediss?:\/\//, '').replace(/\/.*$/, ''));
  if (match === null) throw invalid(`cannot read host:port from ${JSON.stringify(text)}`);
  const host = (match[1] ?? '').replace(/^\[|\]$/g, '');
  return { host, port: match[2] !== undefined ? Number(match[2]) : defaultPort };
}

export function parseRedisSettings(input: unknown): ParsedRedisSettings {
  const settings = parseDcsSettings(redisDcsSettingsSchema, input, 'redis');
  checkDeployment(settings);
  return settings;
}

/** The named deployment modes, enforced before anything connects. */
function checkDeployment(settings: ParsedRedisSettings): void {
  const sentinels = list(settings.sentinels);
  const hosts = list(settings.hosts);
  if (hosts.length > 1) throw invalid(`hosts names ${hosts.length} servers; give one host, or the Sentinels in sentinels with mode: replicated`);
  if (settings.mode === 'standalone') {
    if (sentinels.length > 0) throw invalid('sentinels is set but mode is standalone; a Sentinel deployment has replicas: set mode: replicated and wait_replicas');
    if (settings.wait_replicas !== undefined) throw invalid('wait_replicas is only valid with mode: replicated');
  } else {
    if (settings.wait_replicas === undefined) {
      throw invalid('mode: replicated requires wait_replicas (>= 1): a Redis failover can lose a lock write that no replica received');
    }
    const waitSeconds = settings.wait_timeout ?? 1;
    if (waitSeconds >= settings.retryTimeoutSeconds) throw invalid(`wait_timeout (${waitSeconds} s) must be below retry_timeout (${settings.retryTimeoutSeconds} s)`);
  }
  if ((sentinels.length > 0) !== (settings.sentinel_master !== undefined)) throw invalid('sentinels and sentinel_master go together');
  if (sentinels.length === 0 && settings.host === undefined && hosts.length === 0 && settings.url === undefined) {
    throw invalid('one of host, hosts, url or sentinels is required');
  }
}

export function waitPolicy(settings: ParsedRedisSettings): WaitPolicy | undefined {
  if (settings.mode !== 'replicated' || settings.wait_replicas === undefined) return undefined;
  return { replicas: settings.wait_replicas, timeoutMs: Math.round((settings.wait_timeout ?? 1) * 1000) };
}

function readPem(path: string | undefined, field: string): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new PgwardenError('dcs-config-invalid', `redis.${field}: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

function tlsFiles(settings: ParsedRedisSettings): { ca?: string; cert?: string; key?: string } {
  const ca = readPem(settings.cacert, 'cacert');
  const cert = readPem(settings.cert, 'cert');
  const key = readPem(settings.key, 'key');
  return { ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}) };
}

/** ioredis options: where to connect, credentials, TLS, and no hidden queues or resends (we retry ourselves, within a deadline). */
export function toIoredisOptions(settings: ParsedRedisSettings): RedisOptions {
  let url: URL | undefined;
  try {
    url = settings.url !== undefined ? new URL(settings.url) : undefined;
  } catch {
    throw invalid(`url is not a URL: ${JSON.stringify(settings.url)}`);
  }
  if (url !== undefined && url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw invalid(`url must start with redis:// or rediss://, got ${url.protocol}`);
  const useTls = settings.ssl ?? (url?.protocol === 'rediss:' || settings.cacert !== undefined || settings.cert !== undefined || settings.key !== undefined);
  const username = settings.username ?? (url?.username ? decodeURIComponent(url.username) : undefined);
  const password = settings.password ?? (url?.password ? decodeURIComponent(url.password) : undefined);
  const urlDb = url !== undefined && url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined;
  const common: RedisOptions = {
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    db: settings.db ?? urlDb ?? 0,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    lazyConnect: false,
    connectTimeout: Math.max(1000, Math.round((settings.retryTimeoutSeconds * 1000) / 2)),
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 4), 1000),
    reconnectOnError: () => false,
    keepAlive: Math.max(1000, Math.round(settings.loopWaitSeconds * 1000)),
    ...(useTls ? { tls: tlsFiles(settings) } : {}),
  };
  const sentinels = list(settings.sentinels);
  if (sentinels.length > 0) {
    return { ...common, sentinels: sentinels.map((entry) => splitHostPort(entry, 26379)), name: settings.sentinel_master ?? '', role: 'master', ...(useTls ? { enableTLSForSentinelMode: true } : {}) };
  }
  const target = settings.host ?? list(settings.hosts)[0] ?? (url !== undefined ? `${url.hostname}:${url.port || 6379}` : undefined);
  if (target === undefined) throw invalid('one of host, hosts, url or sentinels is required');
  return { ...common, ...splitHostPort(target, 6379) };
}
