/**
 * What the adapter needs to know, in the words of Patroni's `consul` section
 * (spec/dcs.md §4) plus the cluster identity and the timings. The zod schema
 * is the source of truth; bad input is a PgwardenError `dcs-config-invalid`
 * that names the field. Service registration (`register_service`) is not
 * supported yet and is rejected rather than silently ignored.
 */
import { PgwardenError, dcsMemberSettingsShape, parseDcsSettings } from '@pgwarden/core';
import { z } from 'zod';

export const consulConnectionSchema = z
  .object({
    /** `host:port` of the local agent (default 127.0.0.1:8500). */
    host: z.string().min(1).default('127.0.0.1:8500'),
    /** Overrides the port given in `host`. */
    port: z.number().int().min(1).max(65535).optional(),
    /** `http(s)://host:port`: overrides host and scheme. */
    url: z.string().url().optional(),
    scheme: z.enum(['http', 'https']).default('http'),
    /** ACL token, sent as X-Consul-Token. */
    token: z.string().min(1).optional(),
    /** Verify the server certificate (https); on unless explicitly false. */
    verify: z.boolean().optional(),
    /** File paths, as in Patroni. */
    cacert: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    dc: z.string().min(1).optional(),
    consistency: z.enum(['default', 'consistent', 'stale']).default('default'),
    /** Node checks bound to the session; default none: the session lives on its TTL only. */
    checks: z.array(z.string()).default([]),
    register_service: z.boolean().optional(),
  })
  .passthrough();

export const consulDcsSettingsSchema = consulConnectionSchema.extend(dcsMemberSettingsShape);

export type ConsulDcsSettings = z.input<typeof consulDcsSettingsSchema>;
export type ParsedConsulSettings = z.output<typeof consulDcsSettingsSchema>;

export function parseConsulSettings(input: unknown): ParsedConsulSettings {
  const settings = parseDcsSettings(consulDcsSettingsSchema, input, 'consul');
  if (settings.register_service === true) {
    throw new PgwardenError('dcs-config-invalid', 'consul.register_service is not supported by pgwarden yet; remove it or set it to false');
  }
  if (settings.key !== undefined && settings.cert === undefined) {
    throw new PgwardenError('dcs-config-invalid', 'consul.key is given without consul.cert');
  }
  return settings;
}

/** The agent's base URL: `url` wins, else `<scheme>://<host>:<port>` (port from `port`, else `host`, else 8500). */
export function resolveBaseUrl(settings: ParsedConsulSettings): string {
  if (settings.url !== undefined) return settings.url.replace(/\/+$/, '');
  const host = settings.host.trim();
  if (/^https?:\/\//.test(host)) return host.replace(/\/+$/, '');
  const hasPort = /:\d+$/.test(host) && !/^\[[^\]]*\]$/.test(host);
  const bare = hasPort ? host.slice(0, host.lastIndexOf(':')) : host;
  const port = settings.port ?? (hasPort ? Number(host.slice(host.lastIndexOf(':') + 1)) : 8500);
  return `${settings.scheme}://${bare}:${port}`;
}

/** `<namespace>/<scope>` without the leading slash, duplicate slashes collapsed (spec/dcs.md §1). */
export function clusterBasePath(namespace: string, scope: string): string {
  return `${namespace}/${scope}`.split('/').filter((part) => part !== '').join('/');
}

/** Patroni formats the session TTL as a Python float: `15.0s` for ttl 30. */
export function sessionTtlText(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}.0s` : `${seconds}s`;
}
