/**
 * Where HAProxy sends a member's database traffic (conn_url) and where it
 * asks the member's REST API about its role (api_url). A member whose URLs are
 * missing or unparsable cannot be routed to; it is skipped with a reason, so
 * one half-registered member never blocks the configuration of the others.
 */
import type { Member } from '@pgwarden/core';

export interface Address {
  /** Host as HAProxy writes it: IPv6 literals without brackets. */
  readonly host: string;
  readonly port: number;
}

export interface MemberEndpoints {
  readonly name: string;
  readonly database: Address;
  readonly restApi: Address & { readonly tls: boolean };
  readonly noLoadBalance: boolean;
}

export type EndpointsResult =
  | { readonly ok: true; readonly endpoints: MemberEndpoints }
  | { readonly ok: false; readonly name: string; readonly reason: string };

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'postgres:': 5432, 'postgresql:': 5432, 'http:': 80, 'https:': 443 };

/** Parse a URL's host and port; undefined when it is not a URL of one of `schemes`. */
export function parseAddress(url: string, schemes: readonly string[]): (Address & { scheme: string }) | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (!schemes.includes(parsed.protocol)) return undefined;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '' || /[\s#"']/.test(host)) return undefined;
  const port = parsed.port === '' ? DEFAULT_PORTS[parsed.protocol] : Number(parsed.port);
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port, scheme: parsed.protocol };
}

export function memberEndpoints(member: Member): EndpointsResult {
  const { conn_url: connUrl, api_url: apiUrl, tags } = member.data;
  if (connUrl === undefined) return { ok: false, name: member.name, reason: 'no conn_url' };
  if (apiUrl === undefined) return { ok: false, name: member.name, reason: 'no api_url' };
  const database = parseAddress(connUrl, ['postgres:', 'postgresql:']);
  if (database === undefined) return { ok: false, name: member.name, reason: 'conn_url is not a postgres:// URL with a host' };
  const restApi = parseAddress(apiUrl, ['http:', 'https:']);
  if (restApi === undefined) return { ok: false, name: member.name, reason: 'api_url is not an http(s):// URL with a host' };
  return {
    ok: true,
    endpoints: {
      name: member.name,
      database: { host: database.host, port: database.port },
      restApi: { host: restApi.host, port: restApi.port, tls: restApi.scheme === 'https:' },
      noLoadBalance: tags?.noloadbalance === true,
    },
  };
}

/** HAProxy `host:port`; IPv6 literals are bracketed so the last colon stays the port separator. */
export function formatAddress(address: Address): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
