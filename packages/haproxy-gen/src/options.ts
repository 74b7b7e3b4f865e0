/**
 * Options of the generated haproxy.cfg. The zod schema is the source of
 * truth: defaults live here and nowhere else, and anything that could make
 * HAProxy misroute clients (duplicate ports, a line break smuggled into a
 * value, a malformed duration) is refused before a single byte is written.
 */
import { PgwardenError } from '@pgwarden/core';
import { z } from 'zod';

/** HAProxy time format: a number with an optional unit (us, ms, s, m, h, d); bare numbers are milliseconds. */
const durationSchema = z
  .string()
  .regex(/^\d+(us|ms|s|m|h|d)?$/, 'must be an HAProxy duration such as "500ms", "4s", "30m" or "1h"');

const portSchema = z.number().int().min(1).max(65535);

/** A value written on one line of the file: no line breaks, no NUL, no leading/trailing space. */
const lineSafeSchema = z
  .string()
  .min(1)
  .regex(/^[^\r\n\0]*$/, 'must not contain line breaks')
  .refine((value) => value.trim() === value, 'must not start or end with white space');

/** A token HAProxy reads as one word: no white space, no quote, no `#`. */
const wordSchema = z.string().min(1).regex(/^[^\s"'#\\]+$/, 'must be one word without spaces, quotes or "#"');

/** Patroni's `?lag=`: bytes, or a number with kB/MB/GB/TB (1024 multiples). */
const lagSchema = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d+(B|kB|MB|GB|TB)?$/, 'must be bytes or a size such as "16kB", "10MB", "1GB"'),
]);

const bindAddressSchema = z
  .string()
  .regex(/^(\*|[0-9.]+|[0-9a-fA-F:]+|[A-Za-z0-9.-]+)$/, 'must be "*", an IPv4/IPv6 address or a host name');

const replicaRouteSchema = z
  .object({
    port: portSchema,
    /** Refuse replicas lagging more than this behind the leader (`?lag=`). */
    maxLag: lagSchema.optional(),
    /** Patroni 4.x `?replication_state=streaming`: refuse replicas whose WAL receiver is not streaming. */
    requireStreaming: z.boolean().default(false),
    /** `?tag_<key>=<value>` filters, answered by the member's REST API. */
    tags: z.record(z.string().regex(/^[A-Za-z0-9_]+$/, 'tag names are letters, digits and "_"'), z.string()).default({}),
  })
  .strict();

const tlsSchema = z
  .object({
    /** CA that signed the members' REST API certificates; required unless verify is "none". */
    caFile: wordSchema.optional(),
    verify: z.enum(['required', 'none']).default('required'),
    /** Client certificate (PEM with key) when the REST API demands one (`verify_client: required`). */
    certFile: wordSchema.optional(),
    /** Check the certificate's name against this host name (HAProxy `verifyhost`). */
    verifyHost: wordSchema.optional(),
  })
  .strict()
  .refine((tls) => tls.verify === 'none' || tls.caFile !== undefined, {
    message: 'caFile is required when verify is "required" (or set verify: "none" knowingly)',
    path: ['caFile'],
  });

const statsSchema = z
  .object({
    port: portSchema,
    bindAddress: bindAddressSchema.default('127.0.0.1'),
    uri: z.string().regex(/^\/[^\s#]*$/, 'must be a path starting with "/"').default('/'),
    refresh: durationSchema.default('10s'),
    /** Basic auth for the stats page. */
    auth: z.object({ username: wordSchema.refine((v) => !v.includes(':'), 'must not contain ":"'), password: wordSchema }).strict().optional(),
    /** Serve Prometheus metrics on /metrics (HAProxy's built-in exporter). */
    prometheus: z.boolean().default(false),
  })
  .strict();

export const haproxyOptionsSchema = z
  .object({
    /** Used in the header comment and section names' descriptions only. */
    clusterName: z.string().regex(/^[^\r\n]*$/, 'must not contain line breaks').default('pgwarden'),
    bindAddress: bindAddressSchema.default('*'),
    primary: z
      .object({
        port: portSchema.default(5000),
        /**
         * Which health endpoint marks the writable member: `primary` (default), `leader`
         * (also the standby leader of a standby cluster) or `standby-leader`.
         */
        endpoint: z.enum(['primary', 'leader', 'standby-leader']).default('primary'),
      })
      .strict()
      .default({}),
    /** Read-only routing to healthy replicas; `false` leaves it out. */
    replicas: z.union([replicaRouteSchema, z.literal(false)]).default({ port: 5001 }),
    /** Routing to synchronous standbys only (`/sync`). */
    sync: replicaRouteSchema.optional(),
    /** Routing to asynchronous replicas only (`/async`). */
    async: replicaRouteSchema.optional(),
    maxconn: z
      .object({
        global: z.number().int().positive().default(1000),
        /** Per member: keep it below PostgreSQL's max_connections minus superuser_reserved_connections. */
        perServer: z.number().int().positive().default(100),
      })
      .strict()
      .default({}),
    healthCheck: z
      .object({
        /** Between checks of a server that is up and steady (`inter`). */
        interval: durationSchema.default('1s'),
        /**
         * Between checks while a server changes state (`fastinter`: after its first failed
         * or successful check) and while it is down (`downinter`): a new primary is down on
         * `/primary` until it promotes, so it is seen within `rise × downInterval` of that.
         */
        fastInterval: durationSchema.default('100ms'),
        downInterval: durationSchema.default('100ms'),
        fall: z.number().int().min(1).max(100).default(3),
        rise: z.number().int().min(1).max(100).default(2),
      })
      .strict()
      .default({}),
    timeouts: z
      .object({
        /**
         * Also HAProxy's turn-around before it retries a refused connect (min(connect, 1 s)):
         * a client that connects while the primary stops waits that long (see the README).
         */
        connect: durationSchema.default('500ms'),
        client: durationSchema.default('30m'),
        server: durationSchema.default('30m'),
        check: durationSchema.default('5s'),
        queue: durationSchema.default('30s'),
      })
      .strict()
      .default({}),
    /** TCP keepalive on both sides, so dead peers and idle-dropping middleboxes are noticed. */
    tcpKeepalive: z.boolean().default(true),
    stats: z.union([statsSchema, z.literal(false)]).default(false),
    /** TLS settings for the health checks of members whose api_url is https. */
    restApiTls: tlsSchema.optional(),
    /** Runtime API socket (`stats socket ... level admin expose-fd listeners`); `serverStateFile` reads states through it. */
    adminSocket: wordSchema.optional(),
    /**
     * Where the installer saves server states (`show servers state`) just before a reload, and
     * where the new workers load them from: without it, a new worker believes every server UP
     * until its first check, so for up to one interval a primary-port connection may land on a
     * replica. Needs `adminSocket`.
     */
    serverStateFile: wordSchema.optional(),
    /** Bound the life of old workers after a reload (HAProxy `hard-stop-after`); unset keeps them until their sessions end. */
    hardStopAfter: durationSchema.optional(),
    /** `log` target in the global section, e.g. "/dev/log local0"; unset writes no log line. */
    log: lineSafeSchema.optional(),
    /** Escape hatches, one HAProxy line each, appended verbatim (checked by `haproxy -c` before install). */
    extraGlobal: z.array(lineSafeSchema).default([]),
    extraDefaults: z.array(lineSafeSchema).default([]),
  })
  .strict()
  .superRefine((options, context) => {
    const seen = new Map<number, string>();
    const claim = (port: number, owner: string): void => {
      const previous = seen.get(port);
      if (previous !== undefined) {
        context.addIssue({ code: z.ZodIssueCode.custom, path: [...owner.split('.')], message: `port ${port} is already used by ${previous}` });
      } else seen.set(port, owner);
    };
    if (options.serverStateFile !== undefined && options.adminSocket === undefined) {
      context.addIssue({ code: z.ZodIssueCode.custom, path: ['serverStateFile'], message: 'needs adminSocket (the state is read through it before each reload)' });
    }
    claim(options.primary.port, 'primary.port');
    if (options.replicas !== false) claim(options.replicas.port, 'replicas.port');
    if (options.sync !== undefined) claim(options.sync.port, 'sync.port');
    if (options.async !== undefined) claim(options.async.port, 'async.port');
    if (options.stats !== false) claim(options.stats.port, 'stats.port');
  });

/** What callers pass (every field optional where a default exists). */
export type HaproxyOptionsInput = z.input<typeof haproxyOptionsSchema>;
/** Validated options with every default filled in. */
export type HaproxyOptions = z.output<typeof haproxyOptionsSchema>;
export type ReplicaRoute = z.output<typeof replicaRouteSchema>;

/**
 * Validate options; throws PgwardenError `haproxy-invalid-options` whose
 * message names every offending option by its path (`replicas.maxLag: ...`).
 */
export function parseHaproxyOptions(input: unknown): HaproxyOptions {
  const result = haproxyOptionsSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`);
  throw new PgwardenError('haproxy-invalid-options', `invalid haproxy options: ${problems.join('; ')}`, { cause: result.error });
}
