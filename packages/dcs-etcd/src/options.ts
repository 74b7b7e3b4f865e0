/**
 * What the adapter needs to know, in the words of Patroni's `etcd3` section
 * (spec/config.md §3.6, spec/dcs.md §3.1) plus the cluster identity and the
 * timings. The zod schema is the source of truth; bad input is reported as a
 * PgwardenError `dcs-config-invalid` that names the field.
 */
import { PgwardenError, dcsMemberSettingsShape, parseDcsSettings } from '@pgwarden/core';
import { z } from 'zod';

export const etcdConnectionSchema = z
  .object({
    /** `host:port` (default port 2379). */
    host: z.string().min(1).optional(),
    /** List or comma-separated string of `host:port`. */
    hosts: z.union([z.array(z.string().min(1)), z.string().min(1)]).optional(),
    /** `http(s)://host:port`. */
    url: z.string().url().optional(),
    /** Used as is, no other endpoint. */
    proxy: z.string().url().optional(),
    /** DNS SRV discovery: not supported yet, rejected with a clear error. */
    srv: z.string().optional(),
    protocol: z.enum(['http', 'https']).optional(),
    /** File paths, as in Patroni. */
    cacert: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    /** true: use the configured endpoints only (no member-list discovery), as in Patroni. */
    use_proxies: z.boolean().optional(),
  })
  .passthrough();

export const etcdDcsSettingsSchema = etcdConnectionSchema.extend(dcsMemberSettingsShape);

export type EtcdDcsSettings = z.input<typeof etcdDcsSettingsSchema>;
type ParsedSettings = z.output<typeof etcdDcsSettingsSchema>;

export function parseEtcdSettings(input: unknown): ParsedSettings {
  const settings = parseDcsSettings(etcdDcsSettingsSchema, input, 'etcd3');
  return settings;
}

function withScheme(hostPort: string, protocol: string): string {
  const trimmed = hostPort.trim();
  if (/^https?:\/\//.test(trimmed)) return trimmed.replace(/\/+$/, '');
  const hasPort = /:\d+$/.test(trimmed) && !/^\[[^\]]*\]$/.test(trimmed);
  return `${protocol}://${hasPort ? trimmed : `${trimmed}:2379`}`;
}

/** The endpoint URLs, in the priority order of spec/dcs.md §3.1. */
export function resolveEndpoints(settings: ParsedSettings): string[] {
  if (settings.srv !== undefined) {
    throw new PgwardenError('dcs-config-invalid', 'etcd3.srv (DNS SRV discovery) is not supported by pgwarden yet; use etcd3.hosts');
  }
  const urlProtocol = settings.url?.startsWith('https:') ? 'https' : undefined;
  const protocol = settings.protocol ?? urlProtocol ?? 'http';
  if (settings.proxy !== undefined) return [settings.proxy.replace(/\/+$/, '')];
  let list: string[] = [];
  if (settings.hosts !== undefined) {
    list = typeof settings.hosts === 'string' ? settings.hosts.split(',') : [...settings.hosts];
  } else if (settings.host !== undefined) {
    list = [settings.host];
  } else if (settings.url !== undefined) {
    list = [settings.url];
  }
  const endpoints = [...new Set(list.map((entry) => entry.trim()).filter((entry) => entry !== '').map((entry) => withScheme(entry, protocol)))];
  if (endpoints.length === 0) {
    throw new PgwardenError('dcs-config-invalid', 'etcd3: one of host, hosts, url or proxy is required');
  }
  const schemes = new Set(endpoints.map((endpoint) => endpoint.slice(0, endpoint.indexOf(':'))));
  if (schemes.size > 1) throw new PgwardenError('dcs-config-invalid', 'etcd3: endpoints mix http and https');
  return endpoints;
}
