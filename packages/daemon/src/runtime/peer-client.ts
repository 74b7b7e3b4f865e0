/**
 * Talking to the other members' REST APIs during a cycle: GET /patroni for
 * the leader race and failover checks, POST /failsafe for the failsafe
 * topology check.
 *
 * Timeouts derive from the cluster timings, never a hard-coded constant
 * (INCIDENTS #3: a fixed 2 s peer timeout demoted a healthy primary whose
 * peers answered in 2.5 s). The leader's deadline is ttl after its last
 * renewal, and the DCS may already have used up to retry_timeout of it
 * (loop_wait + 2*retry_timeout <= ttl), so the peer check may use the other
 * retry_timeout — all peers are asked in parallel, one attempt each.
 */
import type { HaSettings, PeerStatus } from '@pgwarden/core';
import type { PeerPort } from '../ports.js';

// node:http(s) through process.getBuiltinModule, not an ESM import: importing node:http
// from ESM builds its facade, which evaluates every export, including the lazy
// undici-backed WebSocket/fetch getters (~10 MiB resident, measured) the agent never uses.
const { request: httpRequest } = process.getBuiltinModule('node:http');
// node:https (and node:tls under it, ~3 MiB resident, measured) only when TLS is configured.

/** GET /patroni: a slow peer must not hold the leader race for long; at least 2 s like Patroni. */
export function peerStatusTimeoutMs(settings: HaSettings): number {
  return Math.max(2000, (settings.retryTimeoutSeconds * 1000) / 2);
}

/** POST /failsafe: the whole remaining retry_timeout budget. */
export function failsafeTimeoutMs(settings: HaSettings): number {
  return Math.max(2000, settings.retryTimeoutSeconds * 1000);
}

export interface HttpPeerOptions {
  /** `user:password` for protected endpoints (POST /failsafe), from ctl/restapi authentication. */
  readonly basicAuth?: string;
  /** For HTTPS peers: the CA to verify them, our client certificate, or no verification (`ctl.insecure`). */
  readonly tls?: PeerTls;
}

export interface PeerTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly passphrase?: string;
  readonly rejectUnauthorized: boolean;
}

export interface PeerAnswer {
  readonly status: number;
  readonly body: string;
}

/** One HTTP(S) request to a member's REST API with our credentials; undefined when it did not answer in time. */
export type PeerRequest = (url: string, options: { method?: string; body?: string; timeoutMs: number }) => Promise<PeerAnswer | undefined>;

export function createPeerRequest(options: HttpPeerOptions = {}): PeerRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'pgwarden' };
  if (options.basicAuth !== undefined) headers['authorization'] = `Basic ${Buffer.from(options.basicAuth).toString('base64')}`;
  const tls = options.tls;
  return (url, { method = 'GET', body, timeoutMs }) =>
    new Promise<PeerAnswer | undefined>((resolve) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        resolve(undefined);
        return;
      }
      const secure = target.protocol === 'https:';
      const send = secure ? process.getBuiltinModule('node:https').request : httpRequest;
      const request = send(target, { method, headers, timeout: timeoutMs, ...(secure && tls !== undefined ? tls : {}) }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', () => resolve(undefined));
      });
      const timer = setTimeout(() => request.destroy(new Error('timeout')), timeoutMs);
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', () => resolve(undefined));
      request.on('close', () => clearTimeout(timer));
      request.end(body);
    });
}

export function createHttpPeerPort(options: HttpPeerOptions = {}): PeerPort {
  const request = createPeerRequest(options);
  return {
    async fetchStatus(apiUrl, timeoutMs) {
      const answer = await request(apiUrl, { timeoutMs });
      if (answer === undefined) return undefined;
      try {
        const body: unknown = JSON.parse(answer.body);
        return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    },
    async postFailsafe(apiUrl, body, timeoutMs) {
      const answer = await request(apiUrl.replace(/\/patroni$/, '/failsafe'), { method: 'POST', body: JSON.stringify(body), timeoutMs });
      return answer?.status === 200 && answer.body.trim() === 'Accepted';
    },
  };
}

function numberField(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A peer's GET /patroni JSON to the core's PeerStatus (spec/rest-api.md §3). */
export function toPeerStatus(name: string, body: Record<string, unknown> | undefined): PeerStatus {
  const xlog = body?.['xlog'];
  if (body === undefined) return { name, reachable: false };
  if (typeof xlog !== 'object' || xlog === null) {
    // A member whose PostgreSQL does not answer: not a candidate, but the timeline of its data
    // directory (pgwarden's field) is one a race winner must not take again.
    const timeline = numberField(body['data_directory_timeline']);
    return timeline === undefined ? { name, reachable: false } : { name, reachable: false, timeline };
  }
  const location = xlog as Record<string, unknown>;
  const primaryLocation = numberField(location['location']);
  const received = numberField(location['received_location']);
  const replayed = numberField(location['replayed_location']);
  const walPosition = primaryLocation ?? Math.max(received ?? 0, replayed ?? 0);
  const role = typeof body['role'] === 'string' ? body['role'] : undefined;
  const tags = body['tags'];
  return {
    name,
    reachable: true,
    role,
    state: typeof body['state'] === 'string' ? body['state'] : undefined,
    walPosition,
    isPrimary: primaryLocation !== undefined && (role === 'primary' || role === 'master'),
    timeline: numberField(body['timeline']),
    tags: typeof tags === 'object' && tags !== null ? (tags as Record<string, unknown>) : undefined,
    watchdogFailed: body['watchdog_failed'] === true,
  };
}
