/**
 * Every request to etcd goes through here: one etcd3 client per endpoint
 * (the library's own retry and circuit-breaker policies are replaced by no-op
 * policies so that *we* decide when to give up), a "current" endpoint that
 * moves on after a failure, and a hard deadline per operation derived from
 * retry_timeout (spec/dcs.md §3.1, §3.6).
 *
 * Invariant: `run` either returns etcd's answer or throws within the
 * deadline it was given (plus the settling of one timer), never later.
 * Every call carries the `hasleader` metadata, so a member that lost its
 * raft leader answers "no leader" instead of serving a stale view, and we
 * move to another endpoint.
 */
import { readFileSync } from 'node:fs';
import { InterceptingCall, type CallOptions, type Interceptor } from '@grpc/grpc-js';
import { noop } from 'cockatiel';
import { Etcd3, type IOptions } from 'etcd3';
import { classifyEtcdError, describeError } from './errors.js';
import type { Logger } from './logger.js';

export interface TransportTls {
  readonly cacert?: string;
  readonly cert?: string;
  readonly key?: string;
}

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

const requireLeader: Interceptor = (options, nextCall) =>
  new InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      metadata.set('hasleader', 'true');
      next(metadata, listener);
    },
  });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Endpoint {
  readonly url: string;
  readonly client: Etcd3;
}

function clientOptions(url: string, config: TransportConfig): IOptions {
  const tls = config.tls;
  const options: IOptions = {
    hosts: url,
    faultHandling: { host: () => noop, global: noop },
    grpcOptions: {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      // etcd answers pings more often than every 5 s (--grpc-keepalive-min-time) with GOAWAY.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5000,
    },
  };
  if (tls?.cacert !== undefined || tls?.cert !== undefined) {
    options.credentials = {
      // grpc-js takes null for "the system's roots"; etcd3's type does not say so.
      rootCertificate: tls.cacert !== undefined ? readFileSync(tls.cacert) : (null as unknown as Buffer),
      ...(tls.key !== undefined ? { privateKey: readFileSync(tls.key) } : {}),
      ...(tls.cert !== undefined ? { certChain: readFileSync(tls.cert) } : {}),
    };
  }
  if (config.auth !== undefined) {
    options.auth = {
      username: config.auth.username,
      password: config.auth.password,
      callOptions: () => ({ deadline: Date.now() + 5000 }),
    };
  }
  return options;
}

export class EtcdTransport {
  private readonly endpoints: Endpoint[];
  private current = 0;
  private readonly logger: Logger;
  readonly counts: RequestCounts = { total: 0, byOperation: {} };

  constructor(private readonly config: TransportConfig) {
    if (config.endpoints.length === 0) throw new Error('no etcd endpoint configured');
    this.logger = config.logger;
    this.endpoints = config.endpoints.map((url) => ({ url, client: new Etcd3(clientOptions(url, config)) }));
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
      this.endpoints.push({ url, client: new Etcd3(clientOptions(url, this.config)) });
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

  /** The client of the current endpoint (for streams, which the caller manages). */
  currentClient(operation: string): { client: Etcd3; url: string; index: number } {
    this.count(operation);
    const endpoint = this.endpoints[this.current] ?? this.endpoints[0]!;
    return { client: endpoint.client, url: endpoint.url, index: this.current };
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

  callOptions(timeoutMs: number): CallOptions {
    return { deadline: Date.now() + timeoutMs, interceptors: [requireLeader] };
  }

  /** Options of a long-lived stream: no deadline, leader required. */
  streamOptions(): CallOptions {
    return { interceptors: [requireLeader] };
  }

  private count(operation: string): void {
    this.counts.total++;
    this.counts.byOperation[operation] = (this.counts.byOperation[operation] ?? 0) + 1;
  }

  /**
   * Run `call` against the current endpoint, moving to the next one on a
   * transient failure, until it succeeds or `deadline` (performance.now()
   * milliseconds) passes. Definitive errors are thrown at once.
   */
  async run<T>(operation: string, deadline: number, call: (client: Etcd3, options: CallOptions) => Promise<T>): Promise<T> {
    let round = 0;
    let lastError: unknown;
    const count = this.endpoints.length;
    for (;;) {
      for (let step = 0; step < count; step++) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) break;
        const share = Math.min(remaining, Math.max(1000, remaining / (count - step)));
        const index = this.current;
        const endpoint = this.endpoints[index]!;
        this.count(operation);
        try {
          return await withTimeout(call(endpoint.client, this.callOptions(share)), share);
        } catch (error) {
          lastError = error;
          const kind = classifyEtcdError(error);
          if (kind !== 'transient') throw new EtcdRequestError(describeError(error), kind, { cause: error });
          this.logger.debug({ operation, endpoint: endpoint.url, error: describeError(error) }, 'etcd request failed');
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

  close(): void {
    for (const endpoint of this.endpoints) endpoint.client.close();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms)} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
