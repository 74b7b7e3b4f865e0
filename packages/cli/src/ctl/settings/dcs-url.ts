/**
 * `-d/--dcs-url DCS://HOST:PORT/NAMESPACE` (and env `DCS_URL`), parsed as
 * patronictl parses it: a missing scheme is guessed from the port (else
 * `etcd`), a missing host is `localhost`, a missing port is the scheme's
 * default, a path sets the namespace. pgwarden speaks etcd v3 only, so the
 * `etcd` scheme (v2 in Patroni) is served over the v3 API of the same server.
 * `redis://` / `rediss://` (TLS) name pgwarden's own Redis DCS; the path is the
 * namespace, as for the other schemes (the database number comes from `redis.db`).
 */
import { PgwardenError } from '@pgwarden/core';

const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  etcd: 2379,
  etcd3: 2379,
  consul: 8500,
  redis: 6379,
  rediss: 6379,
  zookeeper: 2181,
  exhibitor: 8181,
};

export interface DcsUrl {
  readonly scheme: 'etcd' | 'etcd3' | 'consul' | 'redis' | 'rediss' | 'zookeeper' | 'exhibitor';
  readonly host: string;
  readonly port: number;
  readonly namespace?: string;
}

export function parseDcsUrl(text: string): DcsUrl {
  const withSlashes = text.includes('//') ? text : `//${text}`;
  const match = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?\/\/(\[[^\]]*\]|[^/:]*)(?::([^/]*))?(\/.*)?$/.exec(withSlashes);
  if (match === null) throw new PgwardenError('invalid-dcs-url', `Invalid DCS URL: ${text}`);
  const [, rawScheme, rawHost, rawPort, path] = match;
  let port: number | undefined;
  if (rawPort !== undefined && rawPort !== '') {
    port = Number(rawPort);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PgwardenError('invalid-dcs-url', `Invalid port in DCS URL: ${text}`);
  }
  let scheme = (rawScheme ?? '').toLowerCase();
  if (scheme === '') scheme = Object.entries(DEFAULT_PORTS).find(([, value]) => value === port)?.[0] ?? 'etcd';
  const defaultPort = DEFAULT_PORTS[scheme];
  if (defaultPort === undefined) throw new PgwardenError('invalid-dcs-url', `Unknown dcs scheme: ${scheme}`);
  const namespace = path !== undefined && path.trim() !== '/' ? path.trim() : undefined;
  return {
    scheme: scheme as DcsUrl['scheme'],
    host: rawHost === undefined || rawHost === '' ? 'localhost' : rawHost,
    port: port ?? defaultPort,
    ...(namespace !== undefined ? { namespace } : {}),
  };
}
