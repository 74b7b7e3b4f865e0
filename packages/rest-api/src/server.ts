/**
 * The REST API server on Node's http/https (no framework): binds
 * `restapi.listen`, serves with the request handler, and applies a reloaded
 * `restapi` section: a new certificate is swapped in without dropping the
 * listener (rotation); a new address, TLS on/off, verify_client or
 * request_queue_size (the listen backlog) rebinds.
 */
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { PgwardenError } from '@pgwarden/core';
import { listenBacklog, needsNewListener, prepareSettings, readTlsMaterial, type ListenerSettings } from './listener-settings.js';
import { buildMemberView } from './member-view.js';
import { silentLogger, type RestApiConfig, type RestApiLogger, type RestApiOptions } from './options.js';
import { RequestHandler } from './request-handler.js';
import { answerHealthChecksOnSocket } from './status-line-fast-path.js';
import type { MemberSnapshot } from './snapshot.js';

// node:http(s) through process.getBuiltinModule, not an ESM import: importing node:http
// from ESM builds its facade, which evaluates every export, including the lazy
// undici-backed WebSocket/fetch getters (~10 MiB resident, measured) the agent never uses.
const { createServer: createHttpServer } = process.getBuiltinModule('node:http');
// node:https (and node:tls under it, ~3 MiB resident, measured) only when TLS is configured.

export interface RestApi {
  /** Resolve the allowlist, load TLS material and bind `restapi.listen`. */
  start(): Promise<void>;
  /** Stop accepting, close open connections, wait for the server to close. */
  stop(): Promise<void>;
  /** Apply a changed `restapi` section (SIGHUP / POST /reload); the old one stays on error. */
  reload(config: RestApiConfig): Promise<void>;
  /** The bound address after start() (port 0 in `listen` picks a free one). */
  readonly address: { readonly host: string; readonly port: number } | undefined;
  /** `<http|https>://<connect_address or listen>/patroni`: the `api_url` to publish. */
  readonly apiUrl: string;
  /** Hand over the state after a cycle; requests use it from now on. */
  setSnapshot(snapshot: MemberSnapshot): void;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Patroni enables TCP keepalive on API connections (idle 10 s) so dead clients do not pin sockets. */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;
/**
 * A client that trickles its request must not hold a socket for minutes (Node's
 * defaults are 60 s / 300 s). Bounds the request only: a switchover's wait for
 * its result happens after the request was read and is not cut by these.
 */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

function createListener(settings: ListenerSettings, handler: RequestHandler): Server {
  const common = {
    keepAlive: true,
    keepAliveInitialDelay: KEEPALIVE_INITIAL_DELAY_MS,
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
  };
  if (!settings.tls) {
    // Keepalive and no-delay are set by the fast path on the connections it hands over.
    const server = createHttpServer({ ...common, keepAlive: false, noDelay: false }, handler.handle);
    answerHealthChecksOnSocket(server, handler.bareStatus, { headersTimeoutMs: HEADERS_TIMEOUT_MS, keepAliveInitialDelayMs: KEEPALIVE_INITIAL_DELAY_MS });
    return server;
  }
  const verify = settings.config.verify_client ?? 'none';
  const material = readTlsMaterial(settings.config);
  try {
    return process.getBuiltinModule('node:https').createServer({ ...common, ...material, requestCert: verify !== 'none', rejectUnauthorized: verify === 'required' }, handler.handle);
  } catch (error) {
    throw tlsError(error);
  }
}

function tlsError(error: unknown): PgwardenError {
  return new PgwardenError('restapi-tls', `cannot use the REST API certificate or key (wrong keyfile_password?): ${(error as Error).message}`, { cause: error });
}

async function bind(server: Server, settings: ListenerSettings): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) =>
      reject(new PgwardenError('restapi-listen', `Couldn't start a service on '${settings.config.listen}', please check your restapi.listen configuration: ${error.message}`, { cause: error }));
    server.once('error', onError);
    server.listen({ host: settings.host, port: settings.port, backlog: listenBacklog(settings) }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

class RestApiServer implements RestApi {
  private settings: ListenerSettings;
  private readonly handler: RequestHandler;
  private server: Server | undefined;

  constructor(private readonly options: RestApiOptions, private readonly logger: RestApiLogger) {
    this.settings = prepareSettings(options.config, logger);
    this.handler = new RequestHandler(this.settings, {
      controller: options.controller,
      logger,
      now: options.now ?? Date.now,
      monotonicNow: options.monotonicNow ?? options.now ?? Date.now,
      ...(options.processHealth === undefined ? {} : { processHealth: options.processHealth }),
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      switchoverPollIntervalMs: options.switchoverPollIntervalMs ?? 100,
      switchoverTimeoutMs: options.switchoverTimeoutMs,
    });
  }

  get address(): { host: string; port: number } | undefined {
    const bound = this.server?.address();
    if (bound === null || bound === undefined || typeof bound === 'string') return undefined;
    return { host: (bound as AddressInfo).address, port: (bound as AddressInfo).port };
  }

  get apiUrl(): string {
    const { config, tls, port } = this.settings;
    const scheme = tls ? 'https' : 'http';
    const bound = this.address;
    // With port 0 in `listen` (tests), advertise the port actually bound.
    if (config.connect_address === undefined && port === 0 && bound !== undefined) {
      return `${scheme}://${config.listen.slice(0, config.listen.lastIndexOf(':'))}:${bound.port}/patroni`;
    }
    return `${scheme}://${config.connect_address ?? config.listen}/patroni`;
  }

  setSnapshot(snapshot: MemberSnapshot): void {
    this.handler.view = buildMemberView(snapshot);
  }

  async start(): Promise<void> {
    if (this.server !== undefined) return;
    await this.settings.access.prepare();
    await this.listenOn(createListener(this.settings, this.handler), this.settings);
    this.logger.info({ listen: this.settings.config.listen, tls: this.settings.tls, port: this.address?.port }, 'REST API listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await close(server);
  }

  async reload(config: RestApiConfig): Promise<void> {
    const next = prepareSettings(config, this.logger);
    await next.access.prepare();
    const running = this.server;
    if (running === undefined) {
      this.useSettings(next);
      return;
    }
    // Port 0 (tests) means "the port we got": naming that port again is not a move.
    const current = this.settings.port === 0 ? { ...this.settings, port: this.address?.port ?? 0 } : this.settings;
    if (needsNewListener(current, next)) {
      await this.rebind(next);
      return;
    }
    if (next.tls) {
      try {
        (running as HttpsServer).setSecureContext(readTlsMaterial(next.config));
      } catch (error) {
        throw tlsError(error);
      }
    }
    this.useSettings(next);
    this.logger.info({ tls: next.tls }, 'REST API configuration reloaded');
  }

  private async listenOn(server: Server, settings: ListenerSettings): Promise<void> {
    await bind(server, settings);
    server.on('error', (error) => this.logger.error({ error: error.message }, 'REST API server error'));
    server.on('tlsClientError', (error) => this.logger.debug({ error: error.message }, 'REST API TLS handshake failed'));
    this.server = server;
  }

  private useSettings(settings: ListenerSettings): void {
    this.settings = settings;
    this.handler.useSettings(settings);
  }

  /** Move to a new listener; the TLS material is checked before the old one closes, and on a bind failure the old one comes back. */
  private async rebind(next: ListenerSettings): Promise<void> {
    const replacement = createListener(next, this.handler);
    const previous = this.settings;
    await this.stop();
    try {
      await this.listenOn(replacement, next);
    } catch (error) {
      await this.listenOn(createListener(previous, this.handler), previous);
      throw error;
    }
    this.useSettings(next);
    this.logger.info({ listen: next.config.listen, tls: next.tls }, 'REST API listener moved');
  }
}

/** Create the REST API (not yet listening); throws PgwardenError for an invalid `restapi` section. */
export function createRestApi(options: RestApiOptions): RestApi {
  return new RestApiServer(options, options.logger ?? silentLogger);
}
