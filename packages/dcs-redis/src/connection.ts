/**
 * One ioredis connection used for every command of an adapter, with the
 * rules that make its answers trustworthy:
 *
 * - no offline queue and no resend after a reconnect: a command is sent
 *   now or fails now, so a lock write is never replayed behind our back;
 * - every attempt is bounded by the operation's deadline (retry_timeout);
 *   transient failures (not connected, LOADING, BUSY, READONLY after a
 *   failover, MASTERDOWN, TRYAGAIN) are retried with back-off until then;
 * - whatever fails is thrown as a RedisRequestError: the callers turn it
 *   into `unreachable`, never into a lost lock; when the connection is not
 *   up, the message carries the last connection error (a failed AUTH, an
 *   untrusted certificate), so a wrong password or CA is named, not just a timeout;
 * - the named deployment mode is checked against what the server reports
 *   (INFO replication) after each (re)connect and every 10 × ttl.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';
import { DELETE_ALL_SCRIPT, DELETE_SCRIPT, LOCK_SCRIPT, PUT_SCRIPT, READ_SCRIPT } from './scripts.js';
import type { WaitPolicy } from './options.js';

export class RedisRequestError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'transient' | 'refused' | 'topology',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RedisRequestError';
  }
}

const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;
const TRANSIENT_CLIENT = /Stream isn't writeable|Connection is closed|connect ETIMEDOUT|ECONNREFUSED|ECONNRESET|EPIPE|All sentinels are unreachable|Reached the max retries/;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function isTransient(error: unknown): boolean {
  const message = describe(error);
  return TRANSIENT_REPLY.test(message) || TRANSIENT_CLIENT.test(message);
}

/** The scripts as ioredis commands (EVALSHA, falling back to EVAL on NOSCRIPT). */
export interface ScriptedRedis extends Redis {
  pgwRead(index: string, channel: string, prefix: string): Promise<[number, string[]]>;
  pgwPut(index: string, revision: string, key: string, ...args: string[]): Promise<[string, string | null]>;
  pgwDelete(index: string, revision: string, key: string, ...args: string[]): Promise<[string, string | null]>;
  pgwDeleteAll(index: string, revision: string, channel: string, prefix: string): Promise<[string]>;
  pgwLock(index: string, revision: string, leader: string, status: string, failsafe: string, ...args: string[]): Promise<[string, string | null]>;
}

function defineScripts(client: Redis): ScriptedRedis {
  client.defineCommand('pgwRead', { numberOfKeys: 1, lua: READ_SCRIPT });
  client.defineCommand('pgwPut', { numberOfKeys: 3, lua: PUT_SCRIPT });
  client.defineCommand('pgwDelete', { numberOfKeys: 3, lua: DELETE_SCRIPT });
  client.defineCommand('pgwDeleteAll', { numberOfKeys: 2, lua: DELETE_ALL_SCRIPT });
  client.defineCommand('pgwLock', { numberOfKeys: 5, lua: LOCK_SCRIPT });
  return client as ScriptedRedis;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface RequestCounts {
  total: number;
  readonly byOperation: Record<string, number>;
}

export interface ConnectionOptions {
  readonly redis: RedisOptions;
  readonly mode: 'standalone' | 'replicated';
  readonly wait: WaitPolicy | undefined;
  readonly logger: Logger;
  /** How often the deployment is checked again while connected. */
  readonly topologyRecheckMs: () => number;
}

export class RedisConnection {
  readonly client: ScriptedRedis;
  readonly counts: RequestCounts = { total: 0, byOperation: {} };
  private topologyCheckedAt: number | undefined;
  private topologyProblem: string | undefined;
  /** Why the connection last failed (cleared once it is ready). */
  private connectionError: string | undefined;

  constructor(private readonly options: ConnectionOptions) {
    this.client = defineScripts(new Redis(options.redis));
    this.client.on('error', (error: unknown) => {
      options.logger.debug({ error: describe(error) }, 'redis connection error');
      // ioredis also reports the commands it flushed on a close: not a cause.
      if (!/max retries per request/.test(describe(error))) this.connectionError = connectionProblem(error, options.redis);
    });
    this.client.on('ready', () => {
      this.topologyCheckedAt = undefined;
      this.connectionError = undefined;
    });
  }

  /** `error`, plus the last connection error while the connection is not up. */
  private explained(error: RedisRequestError): RedisRequestError {
    if (this.client.status === 'ready' || this.connectionError === undefined || error.kind === 'topology') return error;
    const where = `${this.options.redis.host ?? 'redis'}:${this.options.redis.port ?? 6379}`;
    return new RedisRequestError(`${error.message} (not connected to ${where}: ${this.connectionError})`, error.kind, { cause: error });
  }

  /** Duplicate for pub/sub (a subscribed connection cannot send commands). */
  duplicate(): Redis {
    return this.client.duplicate();
  }

  private count(operation: string): void {
    this.counts.total++;
    this.counts.byOperation[operation] = (this.counts.byOperation[operation] ?? 0) + 1;
  }

  /**
   * Run `request` until it answers, a non-transient error, or the deadline
   * (performance.now() based). The attempt's promise is abandoned at the
   * deadline; ioredis keeps its reply slot, so later replies stay in order.
   */
  async run<T>(operation: string, deadline: number, request: (client: ScriptedRedis) => Promise<T>): Promise<T> {
    try {
      return await this.attempt(operation, deadline, request);
    } catch (error) {
      throw error instanceof RedisRequestError ? this.explained(error) : error;
    }
  }

  private async attempt<T>(operation: string, deadline: number, request: (client: ScriptedRedis) => Promise<T>): Promise<T> {
    let delayMs = 100;
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new RedisRequestError(`${operation}: no answer within retry_timeout`, 'timeout');
      try {
        await this.ensureTopology(deadline);
        this.count(operation);
        return await withTimeout(request(this.client), deadline - performance.now(), operation);
      } catch (error) {
        if (error instanceof RedisRequestError || !isTransient(error)) {
          throw error instanceof RedisRequestError ? error : new RedisRequestError(`${operation}: ${describe(error)}`, 'refused', { cause: error });
        }
        const pause = Math.min(delayMs, deadline - performance.now());
        if (pause <= 0) throw new RedisRequestError(`${operation}: ${describe(error)}`, 'transient', { cause: error });
        await sleep(pause);
        delayMs = Math.min(delayMs * 2, 1000);
      }
    }
  }

  /**
   * A lock script followed, in replicated mode, by WAIT in the same pipeline:
   * the script's answer counts only if WAIT saw enough replicas acknowledge it.
   * `argsAtSend` is called right before each attempt is sent (the caller reads its clock there).
   */
  async runLock(deadline: number, argsAtSend: () => readonly string[], keys: readonly [string, string, string, string, string]): Promise<[string, string | null]> {
    const wait = this.options.wait;
    return this.run('lock', deadline, async (client) => {
      const args = argsAtSend();
      if (wait === undefined) return client.pgwLock(...keys, ...args);
      const timeoutMs = Math.max(1, Math.min(wait.timeoutMs, Math.floor(deadline - performance.now())));
      const pipeline = client.pipeline() as unknown as { pgwLock(...values: string[]): unknown; wait(replicas: number, timeout: number): unknown; exec(): Promise<[Error | null, unknown][] | null> };
      pipeline.pgwLock(...keys, ...args);
      pipeline.wait(wait.replicas, timeoutMs);
      const results = (await pipeline.exec()) ?? [];
      const [scriptError, answer] = results[0] ?? [new Error('no answer to the lock script'), undefined];
      if (scriptError) throw scriptError;
      const [waitError, acknowledged] = results[1] ?? [new Error('no answer to WAIT'), undefined];
      const reply = answer as [string, string | null];
      if (reply[0] !== 'held') return reply;
      if (waitError) throw waitError;
      if (typeof acknowledged !== 'number' || acknowledged < wait.replicas) {
        // Not lost (Redis said it is ours) but not safe either: a failover now could forget it.
        throw new RedisRequestError(`lock write reached ${String(acknowledged)} of ${wait.replicas} replicas within ${timeoutMs} ms`, 'transient');
      }
      return reply;
    });
  }

  /** Refuse a deployment that contradicts the configured mode (checked after connect, then every 10 × ttl). */
  private async ensureTopology(deadline: number): Promise<void> {
    const now = performance.now();
    if (this.topologyCheckedAt === undefined || now - this.topologyCheckedAt > this.options.topologyRecheckMs()) {
      const remaining = deadline - now;
      if (remaining <= 0) throw new RedisRequestError('no answer within retry_timeout', 'timeout');
      this.count('info');
      const info = await withTimeout(this.client.info('replication'), remaining, 'INFO replication');
      this.topologyProblem = topologyProblem(info, this.options.mode, this.options.wait);
      this.topologyCheckedAt = performance.now();
      if (this.topologyProblem !== undefined) this.options.logger.error({ problem: this.topologyProblem }, 'redis deployment does not match redis.mode');
    }
    if (this.topologyProblem !== undefined) throw new RedisRequestError(this.topologyProblem, 'topology');
  }

  close(): void {
    this.client.disconnect();
  }
}

/** What is wrong with the server for the configured mode, or undefined. */
export function topologyProblem(info: string, mode: 'standalone' | 'replicated', wait: WaitPolicy | undefined): string | undefined {
  const field = (name: string): string | undefined => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  const role = field('role');
  const replicas = Number(field('connected_slaves') ?? '0');
  if (role !== undefined && role !== 'master') return `the redis server is a ${role}, not a primary: lock writes must go to the primary`;
  if (mode === 'standalone' && replicas > 0) {
    return `redis.mode is standalone but the server has ${replicas} replica(s): a failover could lose lock writes; set redis.mode: replicated with wait_replicas`;
  }
  const online = info.split('\n').filter((line) => /^slave\d+:.*state=online/.test(line)).length;
  if (mode === 'replicated' && wait !== undefined && online < wait.replicas) {
    return `redis.wait_replicas is ${wait.replicas} but the primary has ${online} replica(s) online: no lock write could be confirmed`;
  }
  return undefined;
}

const UNTRUSTED_CERTIFICATE = /SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|CERT_UNTRUSTED|ERR_TLS_CERT_ALTNAME_INVALID|CERT_HAS_EXPIRED/;

/** A connection error as the operator should read it: what failed and which setting to look at. */
function connectionProblem(error: unknown, redis: Pick<RedisOptions, 'tls'>): string {
  const message = describe(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  if (/^WRONGPASS/.test(message)) return `authentication failed (${message}): check redis.username and redis.password`;
  if (/^NOAUTH/.test(message)) return `the server requires authentication (${message}): set redis.username and redis.password`;
  if (typeof code === 'string' && UNTRUSTED_CERTIFICATE.test(code)) {
    return `the server's TLS certificate is not trusted (${message}): set redis.cacert to the CA that signed it`;
  }
  const clientCertificate = 'set redis.cert and redis.key';
  if (/alert certificate required/.test(message)) return `the server requires a TLS client certificate (tlsv13 alert certificate required): ${clientCertificate}`;
  if (redis.tls !== undefined && redis.tls.cert === undefined && /ECONNRESET/.test(message)) {
    return `${message}: the server closed the TLS connection; if it requires client certificates (tls-auth-clients), ${clientCertificate}`;
  }
  return message;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, operation: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RedisRequestError(`${operation}: no answer within retry_timeout`, 'timeout')), Math.max(1, timeoutMs));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
