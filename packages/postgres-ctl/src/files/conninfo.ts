/**
 * libpq connection strings: parsing the `conn_url` members publish, and
 * writing `key=value` strings in Patroni's order and quoting. Passwords go
 * to the pgpass file, never into a string that ends up in a log.
 */
import type { Credentials } from '../options.js';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly dbname?: string;
}

/** `postgres://host:port/dbname` (Patroni's conn_url) → host, port, dbname. */
export function parseConnUrl(connUrl: string): Endpoint {
  const url = new URL(connUrl);
  const dbname = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 5432,
    ...(dbname ? { dbname } : {}),
  };
}

const keyOrder = [
  'dbname', 'user', 'passfile', 'password', 'host', 'port', 'sslmode', 'sslcompression', 'sslcert', 'sslkey',
  'sslpassword', 'sslrootcert', 'sslcrl', 'sslcrldir', 'application_name', 'krbsrvname', 'gssencmode',
  'channel_binding', 'target_session_attrs',
] as const;

function quoteValue(value: string): string {
  return /[\s'\\]/.test(value) || value === '' ? `'${value.replace(/(['\\])/g, '\\$1')}'` : value;
}

export function formatConninfo(fields: Readonly<Record<string, string | number | undefined>>): string {
  const parts: string[] = [];
  for (const key of keyOrder) {
    const value = fields[key];
    if (value !== undefined && value !== '') parts.push(`${key}=${quoteValue(String(value))}`);
  }
  return parts.join(' ');
}

/** Parse `key=value key2='quoted value'`. */
export function parseConninfo(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const pattern = /(\w+)\s*=\s*('((?:[^'\\]|\\.)*)'|\S+)/g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const key = match[1];
    if (!key) continue;
    result[key] = match[3] !== undefined ? match[3].replace(/\\(.)/g, '$1') : (match[2] ?? '');
  }
  return result;
}

/** The conninfo fields of a credentials block, password excluded (it goes to pgpass). */
export function credentialFields(credentials: Credentials): Record<string, string | undefined> {
  return {
    user: credentials.username,
    sslmode: credentials.sslmode,
    sslcert: credentials.sslcert,
    sslkey: credentials.sslkey,
    sslpassword: credentials.sslpassword,
    sslrootcert: credentials.sslrootcert,
    sslcrl: credentials.sslcrl,
    sslcrldir: credentials.sslcrldir,
    gssencmode: credentials.gssencmode,
    channel_binding: credentials.channel_binding,
  };
}
