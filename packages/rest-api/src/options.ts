/**
 * Options of the REST API: Patroni's `restapi` section (same keys and
 * defaults, validated by zod), plus what the agent injects (logger, clock,
 * timings for tests).
 */
import { z } from 'zod';
import { silentLogger, type Logger } from '@pgwarden/core';
import { parseBoolean } from './parse-values.js';

/** YAML and PATRONI_RESTAPI_* values arrive as strings as often as typed: accept both. */
const lenientBoolean = z.preprocess((value) => parseBoolean(value) ?? value, z.boolean());
const lenientInteger = z.preprocess((value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value), z.number().int());
const headerMap = z.record(z.union([z.string(), z.number(), z.boolean()]).transform(String));

export const restApiConfigSchema = z
  .object({
    /** `host:port`; empty host or `*` listens on all interfaces. */
    listen: z.string().min(1),
    /** Advertised `host:port` in `api_url`; default: `listen`. */
    connect_address: z.string().optional(),
    authentication: z.object({ username: z.string(), password: z.string() }).strict().optional(),
    certfile: z.string().optional(),
    keyfile: z.string().optional(),
    keyfile_password: z.string().optional(),
    cafile: z.string().optional(),
    ciphers: z.string().optional(),
    verify_client: z
      .string()
      .transform((value) => value.toLowerCase())
      .pipe(z.enum(['none', 'optional', 'required']))
      .optional(),
    allowlist: z.array(z.string()).optional(),
    allowlist_include_members: lenientBoolean.optional(),
    http_extra_headers: headerMap.optional(),
    https_extra_headers: headerMap.optional(),
    request_queue_size: lenientInteger.pipe(z.number().min(0).max(4096)).optional(),
  })
  .passthrough();

/** Patroni's `restapi` section as it appears in the YAML file. */
export type RestApiConfig = z.input<typeof restApiConfigSchema>;

/** Structured logger (pino-compatible call shape): the one all pgwarden libraries share. */
export type RestApiLogger = Logger;

export interface RestApiOptions {
  readonly config: RestApiConfig;
  readonly controller: import('./controller.js').MemberController;
  readonly logger?: RestApiLogger;
  /** Wall-clock epoch milliseconds, for schedules (`scheduled_at`, restart `schedule`); default `Date.now`. */
  readonly now?: () => number;
  /**
   * The clock of the snapshot's times (`lockRenewedAtMs`, `clusterReadAtMs`):
   * leadership and cluster validity are judged on it. The agent passes its
   * monotonic clock, so a wall-clock step cannot keep /primary answering 200
   * for a lock that is no longer renewed. Default `now`.
   */
  readonly monotonicNow?: () => number;
  /**
   * The agent process's own health, read at each `GET /metrics` (memory,
   * CPU, event-loop delay: a delayed loop delays the lock renewal).
   */
  readonly processHealth?: () => ProcessHealth;
  /** Largest accepted request body; larger ones get 413. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /**
   * Switchover/failover result polling (spec §7.1 step 9): default 100 ms.
   * Patroni polls once a second; a switchover completes in about half of
   * that here, and the caller (patronictl, automation) should hear so.
   */
  readonly switchoverPollIntervalMs?: number;
  /** Default `2 * max(10, loop_wait)` seconds, from the snapshot. */
  readonly switchoverTimeoutMs?: number;
}

/** What `/metrics` shows of the process serving the API (`process_*`, `pgwarden_event_loop_*`). */
export interface ProcessHealth {
  readonly residentMemoryBytes: number;
  readonly heapUsedBytes: number;
  /** User + system CPU time since the process started. */
  readonly cpuSecondsTotal: number;
  /** Event-loop delay over the last window: the longest and the 99th percentile, seconds. */
  readonly eventLoopDelayMaxSeconds: number;
  readonly eventLoopDelayP99Seconds: number;
}

export { silentLogger };
