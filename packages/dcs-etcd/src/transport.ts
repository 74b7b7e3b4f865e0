/**
 * Every request to etcd goes through here: one gateway client per endpoint
 * (HTTP/1.1 + JSON over one keep-alive pool, see gateway-http.ts), a
 * "current" endpoint that moves on after a failure, and a hard deadline per
 * operation derived from retry_timeout (spec/dcs.md §3.1, §3.6).
 *
 * Invariant: `run` either returns etcd's answer or throws within the
 * deadline it was given (plus the settling of one timer), never later: each
 * attempt owns an AbortSignal that fires at the end of its share, which
 * rejects the attempt at once and destroys its socket. Every call carries
 * the `hasleader` metadata, so a member that lost its raft leader answers
 * "no leader" instead of serving a stale view, and we move to another
 * endpoint. An auth token etcd refuses is renewed once within the attempt.
 */
import { classifyEtcdError, describeError, isAuthNotEnabled, needsNewToken } from './errors.js';
import { EtcdGatewayClient, GatewayAuth, type Attempt } from './gateway-client.js';
import { createGatewayHttp, type GatewayHttp, type TransportTls } from './gateway-http.js';
import type { Logger } from './logger.js';

export type { TransportTls } from './gateway-http.js';
export type { Attempt, EtcdGatewayClient } from './gateway-client.js';

export interface TransportConfig {
  /** `http(s)://host:port`, in preference order. */
  readonly endpoints: readonly string[];
  readonly tls?: TransportTls;
  readonly auth?: { readonly username: string; readonly password: string };
  readonly logger: Logger;
}

/** The operation could not complete within its deadline, or etcd refused definitively. */
export class EtcdRequestError extends Error {
  constructor(
    message: string,
    readonly kind: ReturnType<typeof classifyEtcdError> | 'deadline',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EtcdRequestError';
  }
}

export interface RequestCounts {
  total: number;
  readonly byOperation: Record<string, number>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or the signal's reason as soon as it fires. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export class EtcdTransport {
  private readonly endpoints: EtcdGatewayClient[];
  private current = 0;
  private readonly logger: Logger;
  private readonly connection: GatewayHttp;
  private readonly auth: GatewayAuth | undefined;
  /** Attempts under way, aborted by close(). */
  private readonly inFlight = new Set<AbortController>();
  /** The authenticate request under way, shared by every request waiting for a token. */
  private authenticating: Promise<void> | undefined;
  readonly counts: RequestCounts = { total: 0, byOperation: {} };

  constructor(config: TransportConfig) {
    if (config.endpoints.length === 0) throw new Error('no etcd endpoint configured');
    this.logger = config.logger;
    this.connection = createGatewayHttp(config.endpoints[0]!.startsWith('https:'), config.tls);
    this.auth = config.auth !== undefined ? new GatewayAuth(config.auth.username, config.auth.password) : undefined;
    this.endpoints = config.endpoints.map((url) => this.client(url));
  }

  private client(url: string): EtcdGatewayClient {
    return new EtcdGatewayClient(url, this.connection, this.auth);
  }

  /** Every endpoint known now, configured first, then discovered ones. */
  get urls(): string[] {
    return this.endpoints.map((endpoint) => endpoint.url);
  }

  /** Add endpoints learned from etcd's member list; known ones are ignored. Returns the added ones. */
  addEndpoints(urls: readonly string[]): string[] {
    const added: string[] = [];
    for (const url of urls) {
      if (this.endpoints.some((endpoint) => endpoint.url === url)) continue;
      this.endpoints.push(this.client(url));
      added.push(url);
    }
    return added;
  }

  get endpointCount(): number {
    return this.endpoints.length;
  }

  get currentEndpoint(): string {
    return this.endpoints[this.current]?.url ?? '';
  }

  /**
   * The client of the current endpoint, for a stream the caller manages,
   * authenticated first (within `deadline`) when we hold no token.
   */
  async streamClient(operation: string, deadline: number): Promise<{ client: EtcdGatewayClient; url: string; index: number }> {
    const index = this.current;
    const client = this.endpoints[index] ?? this.endpoints[0]!;
    if (this.auth?.missing === true) await this.withAttempt(deadline - performance.now(), (attempt) => this.authenticate(client, attempt));
    this.count(operation);
    return { client, url: client.url, index };
  }

  private failureListeners = new Set<(index: number) => void>();

  /** Called with the endpoint index whenever a request to it failed. */
  onEndpointFailure(listener: (index: number) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /** A request on endpoint `index` failed: move on so that the next try uses another one. */
  reportFailure(index: number): void {
    if (index === this.current) this.current = (this.current + 1) % this.endpoints.length;
    for (const listener of this.failureListeners) listener(index);
  }

  private count(operation: string): void {
    this.counts.total++;
    this.counts.byOperation[operation] = (this.counts.byOperation[operation] ?? 0) + 1;
  }

  /** Run `work` with an attempt whose signal fires after `timeoutMs`. */
  private async withAttempt<T>(timeoutMs: number, work: (attempt: Attempt) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const ms = Math.max(0, timeoutMs);
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${Math.round(ms)} ms`)), ms);
    this.inFlight.add(controller);
    try {
      return await work({ signal: controller.signal, deadline: performance.now() + ms });
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  /**
   * Get a token. Requests that need one at the same time share one
   * authenticate request (sent within the first one's attempt); each still
   * gives up at its own deadline.
   */
  private async authenticate(client: EtcdGatewayClient, attempt: Attempt): Promise<void> {
    const auth = this.auth;
    if (auth === undefined) return;
    if (this.authenticating === undefined) {
      this.count('authenticate');
      this.authenticating = client
        .authenticate(attempt)
        .then(
          (token) => auth.accept(token),
          (error: unknown) => {
            if (!isAuthNotEnabled(error)) throw error;
            auth.disable();
          },
        )
        .finally(() => {
          this.authenticating = undefined;
        });
    }
    await untilAborted(this.authenticating, attempt.signal);
  }

  /** One try on one endpoint: authenticate if needed; a refused token is renewed once and the call repeated. */
  private async attempt<T>(
    operation: string,
    client: EtcdGatewayClient,
    attempt: Attempt,
    call: (client: EtcdGatewayClient, attempt: Attempt) => Promise<T>,
  ): Promise<T> {
    if (this.auth?.missing === true) await this.authenticate(client, attempt);
    const token = this.auth?.token;
    try {
      return await call(client, attempt);
    } catch (error) {
      if (this.auth === undefined || !needsNewToken(error)) throw error;
      this.logger.debug({ endpoint: client.url, error: describeError(error) }, 'etcd refused our auth token; authenticating again');
      this.auth.invalidate(token);
      // Another request may have renewed it meanwhile: then only repeat the call.
      if (this.auth.token === undefined) await this.authenticate(client, attempt);
      this.count(operation);
      return await call(client, attempt);
    }
  }

  /**
   * Run `call` against the current endpoint, moving to the next one on a
   * transient failure, until it succeeds or `deadline` (performance.now()
   * milliseconds) passes. Definitive errors are thrown at once.
   */
  async run<T>(operation: string, deadline: number, call: (client: EtcdGatewayClient, attempt: Attempt) => Promise<T>): Promise<T> {
    let round = 0;
    let lastError: unknown;
    const count = this.endpoints.length;
    for (;;) {
      for (let step = 0; step < count; step++) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) break;
        const share = Math.min(remaining, Math.max(1000, remaining / (count - step)));
        const index = this.current;
        const client = this.endpoints[index]!;
        this.count(operation);
        try {
          return await this.withAttempt(share, (attempt) => this.attempt(operation, client, attempt, call));
        } catch (error) {
          lastError = error;
          const kind = classifyEtcdError(error);
          if (kind !== 'transient') throw new EtcdRequestError(describeError(error), kind, { cause: error });
          this.logger.debug({ operation, endpoint: client.url, error: describeError(error) }, 'etcd request failed');
          this.reportFailure(index);
        }
      }
      const remaining = deadline - performance.now();
      const pause = Math.min(1000, 100 * 2 ** round) + Math.random() * 100;
      if (remaining <= pause) break;
      round++;
      await sleep(pause);
    }
    throw new EtcdRequestError(
      `etcd is not responding properly: ${operation} failed on all endpoints (${describeError(lastError)})`,
      'deadline',
      { cause: lastError },
    );
  }

  /** Abort every request under way and close the connections. */
  close(): void {
    for (const controller of this.inFlight) controller.abort(new Error('etcd client closed'));
    this.inFlight.clear();
    this.connection.agent.destroy();
  }
}
