/**
 * Calls to a member's REST API, as patronictl makes them: the member's
 * `api_url` with its path replaced by the endpoint, JSON bodies, basic auth
 * from `ctl.authentication` (else `restapi.authentication`), the CA from
 * `ctl.cacert`, and no certificate check with `-k`. A transport failure is a
 * PgwardenError that names the member and the URL; an HTTP status is returned
 * as data because patronictl reports each status differently.
 */
import { PgwardenError } from '@pgwarden/core';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { RequestOptions } from 'node:https';
import type { RestClientSettings } from '../settings/ctl-settings.js';

// node:http(s) through process.getBuiltinModule, not an ESM import: importing node:http
// from ESM builds its facade, which evaluates every export, including the lazy
// undici-backed WebSocket/fetch getters (~10 MiB resident, measured) a CLI never uses.
const { request: httpRequest } = process.getBuiltinModule('node:http');
const { request: httpsRequest } = process.getBuiltinModule('node:https');

/** A member as read from the DCS: its name and the `api_url` it publishes. */
export interface ApiMember {
  readonly name: string;
  readonly data: { readonly api_url?: string | undefined };
}

export interface ApiResponse {
  readonly status: number;
  readonly body: string;
  /** The body parsed as JSON, when it is JSON. */
  readonly json?: unknown;
}

export interface MemberApi {
  call(member: ApiMember, method: string, endpoint: string, body?: unknown, timeoutMs?: number): Promise<ApiResponse>;
}

/** `http://h:8008/patroni` + `restart` → `http://h:8008/restart`. */
export function endpointUrl(apiUrl: string, endpoint: string): URL {
  const url = new URL(apiUrl);
  url.pathname = `/${endpoint.replace(/^\/+/, '')}`;
  url.search = '';
  return url;
}

function describeTransportError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return 'timed out';
    case 'ENOTFOUND':
      return 'host not found';
    default:
      return error.message;
  }
}

export function createMemberApi(settings: RestClientSettings, userAgent: string): MemberApi {
  const tls: RequestOptions = { rejectUnauthorized: !settings.insecure };
  if (settings.cacert !== undefined) tls.ca = readFileSync(settings.cacert);
  if (settings.certfile !== undefined) tls.cert = readFileSync(settings.certfile);
  if (settings.keyfile !== undefined) tls.key = readFileSync(settings.keyfile);
  if (settings.keyfilePassword !== undefined) tls.passphrase = settings.keyfilePassword;
  const authorization =
    settings.username !== undefined ? `Basic ${Buffer.from(`${settings.username}:${settings.password ?? ''}`).toString('base64')}` : undefined;

  return {
    call(member, method, endpoint, body, timeoutMs = 10_000) {
      const apiUrl = member.data.api_url;
      if (apiUrl === undefined || apiUrl === '') {
        return Promise.reject(new PgwardenError('rest-unreachable', `Member ${member.name} does not publish a REST API URL`));
      }
      const url = endpointUrl(apiUrl, endpoint);
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string> = { 'User-Agent': userAgent };
      if (authorization !== undefined) headers['Authorization'] = authorization;
      if (payload !== undefined) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(Buffer.byteLength(payload));
      }
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      return new Promise<ApiResponse>((resolve, reject) => {
        const fail = (error: NodeJS.ErrnoException): void =>
          reject(
            new PgwardenError('rest-unreachable', `REST API of member ${member.name} at ${url.origin} is not reachable: ${describeTransportError(error)}`, {
              cause: error,
            }),
          );
        const req = send(url, { method, headers, timeout: timeoutMs, ...(url.protocol === 'https:' ? tls : {}) }, (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', fail);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text === '' ? undefined : JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, body: text, ...(json !== undefined ? { json } : {}) });
          });
        });
        req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
        req.on('error', fail);
        if (payload !== undefined) req.write(payload);
        req.end();
      });
    },
  };
}

/** A 401/403 as the one line an operator needs: what was refused and what to configure. */
export function describeAuthFailure(member: string, response: ApiResponse): string | undefined {
  if (response.status === 401) {
    return `REST API of member ${member} refused the request as unauthorised (401 ${response.body.trim() || 'not authenticated'}): set ctl.authentication (or restapi.authentication) in the config file`;
  }
  if (response.status === 403) {
    return `REST API of member ${member} refused the request (403 ${response.body.trim() || 'forbidden'}): this host is not in restapi.allowlist or a client certificate is required`;
  }
  return undefined;
}
