/**
 * One `server` line per member. The database traffic goes to conn_url's
 * address; the health check goes to api_url's address and port (`addr`/`port`)
 * so HAProxy routes by what the member's REST API says, not by whether the
 * PostgreSQL port merely accepts TCP connections.
 */
import { PgwardenError } from '@pgwarden/core';
import { formatAddress, type MemberEndpoints } from './member-endpoints.js';
import type { HaproxyOptions } from './options.js';

/** HAProxy server names allow letters, digits, `-`, `_`, `.` and `:`; anything else becomes `_`. */
export function serverNames(members: readonly MemberEndpoints[]): Map<string, string> {
  const names = new Map<string, string>();
  const used = new Set<string>();
  for (const member of members) {
    const base = member.name.replace(/[^A-Za-z0-9_.:-]/g, '_') || 'member';
    let candidate = base;
    for (let suffix = 2; used.has(candidate); suffix++) candidate = `${base}_${suffix}`;
    used.add(candidate);
    names.set(member.name, candidate);
  }
  return names;
}

function tlsCheckParameters(member: MemberEndpoints, options: HaproxyOptions): string[] {
  if (!member.restApi.tls) return [];
  const tls = options.restApiTls;
  if (tls === undefined) {
    throw new PgwardenError(
      'haproxy-tls-options-missing',
      `member "${member.name}" serves its REST API over https; set restApiTls (caFile, or verify: "none") so HAProxy can check it`,
    );
  }
  const parameters = ['check-ssl'];
  if (tls.verify === 'none') parameters.push('verify none');
  else parameters.push('verify required', `ca-file ${tls.caFile ?? ''}`);
  if (tls.verifyHost !== undefined) parameters.push(`verifyhost ${tls.verifyHost}`, `check-sni ${tls.verifyHost}`);
  if (tls.certFile !== undefined) parameters.push(`crt ${tls.certFile}`);
  return parameters;
}

export function serverLine(member: MemberEndpoints, serverName: string, options: HaproxyOptions): string {
  const parts = [
    `server ${serverName} ${formatAddress(member.database)}`,
    'check',
    `addr ${formatAddress({ host: member.restApi.host, port: member.restApi.port }).replace(/:\d+$/, '')}`,
    `port ${member.restApi.port}`,
    ...tlsCheckParameters(member, options),
  ];
  return parts.join(' ');
}
