/**
 * The REST API server: Node's http/https, Patroni's routing. The first path
 * segment and the method pick a route (`GET patroni`); GET, HEAD and OPTIONS
 * without one are health checks, other methods without one get 501.
 *
 * Invariant: a request is answered from the latest snapshot handed over by
 * the agent; only `/cluster`, the write endpoints and expired-cache reads of
 * `/config` and `/history` reach the DCS, and only through the controller.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { PgwardenError } from '@pgwarden/core';
import { AccessControl } from './access-control.js';
import { configRoutes } from './config-routes.js';
import { healthStatusCode, livenessStatusCode, parseQuery, readinessStatusCode } from './health.js';
import { readJsonBody, textReply, writeReply, writeStatusLineOnly, type Reply } from './http-io.js';
import { buildMemberView, statusBody, type MemberView } from './member-view.js';
import { memberRoutes } from './member-routes.js';
import { restApiConfigSchema, silentLogger, type RestApiOptions } from './options.js';
import { readRoutes } from './read-routes.js';
import type { Route, RouteContext } from './route-types.js';
import type { MemberSnapshot } from './snapshot.js';
import { switchoverRoutes } from './switchover-routes.js';

export interface RestApi {
  /** Bind `restapi.listen` and resolve the allowlist. */
  start(): Promise<void>;
  /** Stop accepting, close idle connections, wait for the server to close. */
  stop(): Promise<void>;
  /** The bound address after start() (port 0 in `listen` picks a free one). */
  readonly address: { readonly host: string; readonly port: number } | undefined;
  /** `<http|https>://<connect_address or listen>/patroni`, the `api_url` to publish. */
  readonly apiUrl: string;
  /** Hand over the state after a cycle; answers use it from the next request on. */
  setSnapshot(snapshot: MemberSnapshot): void;
}

const ROUTES: Readonly<Record<string, Route>> = { ...readRoutes, ...configRoutes, ...switchoverRoutes, ...memberRoutes };
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

function splitHostPort(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  const port = Number(listen.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new PgwardenError('restapi-config', `Invalid "restapi" config: expected <HOST>:<PORT> for "listen", but got "${listen}"`);
  }
  const host = listen.slice(0, colon).replace(/^\[|\]$/g, '');
  return { host: host === '' || host === '*' ? '::' : host, port };
}

/** First path segment: `/patroni/x` → `patroni`, `/` → ``. */
function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return end < 0 ? path.slice(1) : path.slice(1, end);
}

export function createRestApi(options: RestApiOptions): RestApi {
  const parsed = restApiConfigSchema.safeParse(options.config);
  if (!parsed.success) {
    throw new PgwardenError('restapi-config', `Invalid "restapi" config: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  const config = parsed.data;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const tls = config.certfile !== undefined;
  const { host, port } = splitHostPort(config.listen);
  const extraHeaders = { ...config.http_extra_headers, ...(tls ? config.https_extra_headers : {}) };
  const access = new AccessControl(config, tls, logger);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const scheme = tls ? 'https' : 'http';
  let view: MemberView | undefined;
  let server: Server | undefined;

  const context = (current: MemberView, query: RouteContext['query'], body: RouteContext['body']): RouteContext => ({
    view: current,
    query,
    body,
    controller: options.controller,
    logger,
    now,
    sleep: (milliseconds) => delay(milliseconds),
    switchoverPollIntervalMs: options.switchoverPollIntervalMs ?? 1000,
    switchoverTimeoutMs: options.switchoverTimeoutMs,
    currentView: () => view ?? current,
  });

  async function runRoute(request: IncomingMessage, response: ServerResponse, route: Route, current: MemberView, queryString: string): Promise<void> {
    if (route.protected) {
      const refusal = await access.check(request, route.allowlistMembers, current.snapshot.cluster);
      if (refusal !== undefined) {
        logger.warn({ method: request.method, url: request.url, client: request.socket.remoteAddress, status: refusal.status }, 'request refused');
        writeReply(response, refusal, extraHeaders);
        return;
      }
    }
    const body = await readJsonBody(request, route.body, maxBodyBytes);
    if (!body.ok) {
      writeReply(response, body.reply, extraHeaders);
      if (body.reply.status === 413) request.destroy();
      return;
    }
    const reply: Reply = await route.handle(context(current, parseQuery(queryString), body.value));
    writeReply(response, reply, extraHeaders);
  }

  function healthCheck(request: IncomingMessage, response: ServerResponse, current: MemberView, path: string, queryString: string, bare: boolean): void {
    const nowMs = now();
    const query = parseQuery(queryString);
    const status = healthStatusCode(current, path === '/' ? '/primary' : path, query, nowMs);
    if (bare) {
      writeStatusLineOnly(response, status === 200 ? 200 : 503);
      return;
    }
    const body = statusBody(current, nowMs < current.clusterValidUntilMs);
    writeReply(response, { status, body, contentType: 'application/json' }, extraHeaders);
  }

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const url = request.url ?? '/';
    const mark = url.indexOf('?');
    const path = mark < 0 ? url : url.slice(0, mark);
    const queryString = mark < 0 ? '' : url.slice(mark + 1);
    const method = request.method ?? 'GET';
    const current = view;
    if (current === undefined) {
      if (method === 'HEAD' || method === 'OPTIONS') writeStatusLineOnly(response, 503);
      else writeReply(response, textReply(503, 'Service Unavailable: the agent has not published its state yet'), extraHeaders);
      return;
    }
    if (method === 'HEAD' || method === 'OPTIONS') {
      healthCheck(request, response, current, path, queryString, true);
      return;
    }
    const segment = firstSegment(path);
    if (method === 'GET' && (segment === 'liveness' || segment === 'readiness')) {
      const nowMs = now();
      const status = segment === 'liveness' ? livenessStatusCode(current, nowMs) : readinessStatusCode(current, parseQuery(queryString), nowMs);
      writeStatusLineOnly(response, status === 200 ? 200 : 503);
      return;
    }
    const route = ROUTES[`${method} ${segment}`];
    if (route === undefined) {
      if (method === 'GET') healthCheck(request, response, current, path, queryString, false);
      else writeReply(response, textReply(501, `Unsupported method ('${method}')`), extraHeaders);
      return;
    }
    runRoute(request, response, route, current, queryString).catch((error: unknown) => {
      logger.error({ method, url, error: (error as Error).message }, 'REST API request failed');
      if (!response.headersSent) writeReply(response, textReply(500, 'Internal Server Error'), extraHeaders);
      else response.destroy();
    });
  }

  function createServer(): Server {
    if (!tls) return createHttpServer(handle);
    const verify = config.verify_client ?? 'none';
    return createHttpsServer(
      {
        cert: readFileSync(config.certfile ?? ''),
        key: readFileSync(config.keyfile ?? config.certfile ?? ''),
        ...(config.keyfile_password !== undefined ? { passphrase: config.keyfile_password } : {}),
        ...(config.cafile !== undefined ? { ca: readFileSync(config.cafile) } : {}),
        ...(config.ciphers !== undefined ? { ciphers: config.ciphers } : {}),
        requestCert: verify !== 'none',
        rejectUnauthorized: verify === 'required',
      },
      handle,
    );
  }

  return {
    get address() {
      const bound = server?.address();
      if (bound === null || bound === undefined || typeof bound === 'string') return undefined;
      return { host: (bound as AddressInfo).address, port: (bound as AddressInfo).port };
    },
    get apiUrl() {
      // With port 0 in `listen` (tests), advertise the port actually bound.
      const bound = this.address;
      if (config.connect_address === undefined && port === 0 && bound !== undefined) {
        return `${scheme}://${config.listen.slice(0, config.listen.lastIndexOf(':'))}:${bound.port}/patroni`;
      }
      return `${scheme}://${config.connect_address ?? config.listen}/patroni`;
    },
    setSnapshot(snapshot) {
      view = buildMemberView(snapshot);
    },
    async start() {
      if (server !== undefined) return;
      await access.prepare();
      let created: Server;
      try {
        created = createServer();
      } catch (error) {
        throw new PgwardenError('restapi-tls', `cannot load the REST API certificate or key: ${(error as Error).message}`, { cause: error });
      }
      created.keepAliveTimeout = 5000;
      await new Promise<void>((resolve, reject) => {
        created.once('error', (error) => reject(new PgwardenError('restapi-listen', `Couldn't start a service on '${config.listen}': ${error.message}`, { cause: error })));
        created.listen({ host, port, backlog: config.request_queue_size ?? 511 }, resolve);
      });
      created.on('error', (error) => logger.error({ error: error.message }, 'REST API server error'));
      server = created;
      logger.info({ listen: config.listen, tls, port: (created.address() as AddressInfo).port }, 'REST API listening');
    },
    async stop() {
      const current = server;
      if (current === undefined) return;
      server = undefined;
      await new Promise<void>((resolve) => {
        current.close(() => resolve());
        current.closeAllConnections();
      });
    },
  };
}
