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
}

export function createHttpPeerPort(options: HttpPeerOptions = {}): PeerPort {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.basicAuth !== undefined) headers['authorization'] = `Basic ${Buffer.from(options.basicAuth).toString('base64')}`;
  return {
    async fetchStatus(apiUrl, timeoutMs) {
      try {
        const response = await fetch(apiUrl, { signal: AbortSignal.timeout(timeoutMs) });
        const body: unknown = await response.json();
        return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    },
    async postFailsafe(apiUrl, body, timeoutMs) {
      try {
        const url = apiUrl.replace(/\/patroni$/, '/failsafe');
        const response = await fetch(url, {
          method: 'POST',
          headers,
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        return response.status === 200 && (await response.text()).trim() === 'Accepted';
      } catch {
        return false;
      }
    },
  };
}

function numberField(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A peer's GET /patroni JSON to the core's PeerStatus (spec/rest-api.md §3). */
export function toPeerStatus(name: string, body: Record<string, unknown> | undefined): PeerStatus {
  const xlog = body?.['xlog'];
  if (body === undefined || typeof xlog !== 'object' || xlog === null) return { name, reachable: false };
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
