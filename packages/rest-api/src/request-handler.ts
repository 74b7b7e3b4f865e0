/**
 * Dispatch of one request, Patroni's way: the method and the first path
 * segment pick a route (`GET patroni`); HEAD and OPTIONS, and GET without a
 * route, are health checks; other methods without a route get 501.
 *
 * Invariant: answers come from the latest member view; only routes reach
 * the controller, and only after access control and body validation passed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { configRoutes } from './config-routes.js';
import type { MemberController } from './controller.js';
import { healthStatusCode, livenessStatusCode, parseQuery, readinessStatusCode } from './health.js';
import { readJsonBody, textReply, writeReply, writeStatusLineOnly } from './http-io.js';
import type { ListenerSettings } from './listener-settings.js';
import { memberRoutes } from './member-routes.js';
import { statusBody, type MemberView } from './member-view.js';
import type { ProcessHealth, RestApiLogger } from './options.js';
import { readRoutes } from './read-routes.js';
import type { Route, RouteContext } from './route-types.js';
import { switchoverRoutes } from './switchover-routes.js';

const ROUTES: Readonly<Record<string, Route>> = { ...readRoutes, ...configRoutes, ...switchoverRoutes, ...memberRoutes };
const NOT_READY = textReply(503, 'Service Unavailable: the agent has not published its state yet');

export interface HandlerDependencies {
  readonly controller: MemberController;
  readonly logger: RestApiLogger;
  readonly now: () => number;
  /** The snapshot's clock: validity of the lock and of the cluster view. */
  readonly monotonicNow: () => number;
  readonly processHealth?: () => ProcessHealth;
  readonly maxBodyBytes: number;
  readonly switchoverPollIntervalMs: number;
  readonly switchoverTimeoutMs: number | undefined;
}

/** A request target split at its `?`: the path and the query string (empty without one). */
function splitTarget(url: string): { readonly path: string; readonly queryString: string } {
  const mark = url.indexOf('?');
  return mark < 0 ? { path: url, queryString: '' } : { path: url.slice(0, mark), queryString: url.slice(mark + 1) };
}

/** `/patroni/x` → `patroni`, `/` → ``. */
function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return end < 0 ? path.slice(1) : path.slice(1, end);
}

export class RequestHandler {
  view: MemberView | undefined;

  constructor(
    private settings: ListenerSettings,
    private readonly dependencies: HandlerDependencies,
  ) {}

  useSettings(settings: ListenerSettings): void {
    this.settings = settings;
  }

  /** The request listener given to http(s).createServer; a bug here answers 500, it never crashes the agent. */
  readonly handle = (request: IncomingMessage, response: ServerResponse): void => {
    try {
      this.route(request, response);
    } catch (error) {
      this.dependencies.logger.error({ method: request.method, path: request.url, error: (error as Error).message }, 'REST API request failed');
      if (!response.headersSent) writeReply(response, textReply(500, 'Internal Server Error'), this.settings.extraHeaders);
      else response.destroy();
    }
  };

  /**
   * The status of a request answered with a bare status line — HEAD, OPTIONS,
   * GET /liveness and GET /readiness — or undefined for any other request.
   * Shared by the handler and the listener's fast path for fresh connections.
   * A bug here answers 503, as a failed check.
   */
  readonly bareStatus = (method: string, url: string): 200 | 503 | undefined => {
    try {
      return this.statusLineStatus(method, url);
    } catch (error) {
      this.dependencies.logger.error({ method, path: url, error: (error as Error).message }, 'REST API request failed');
      return 503;
    }
  };

  private statusLineStatus(method: string, url: string): 200 | 503 | undefined {
    const health = method === 'HEAD' || method === 'OPTIONS';
    if (!health && method !== 'GET') return undefined;
    const { path, queryString } = splitTarget(url);
    const view = this.view;
    if (health) {
      if (view === undefined) return 503;
      return this.healthCode(view, path, queryString, this.dependencies.monotonicNow()) === 200 ? 200 : 503;
    }
    const segment = firstSegment(path);
    if (view === undefined || (segment !== 'liveness' && segment !== 'readiness')) return undefined;
    const nowMs = this.dependencies.monotonicNow();
    const status = segment === 'liveness' ? livenessStatusCode(view, nowMs) : readinessStatusCode(view, parseQuery(queryString), nowMs);
    return status === 200 ? 200 : 503;
  }

  private route(request: IncomingMessage, response: ServerResponse): void {
    const url = request.url ?? '/';
    const method = request.method ?? 'GET';
    const bare = this.bareStatus(method, url);
    if (bare !== undefined) {
      writeStatusLineOnly(response, bare);
      return;
    }
    const view = this.view;
    if (view === undefined) {
      writeReply(response, NOT_READY, this.settings.extraHeaders);
      return;
    }
    const { path, queryString } = splitTarget(url);
    this.dispatch(request, response, view, method, path, queryString);
  }

  private dispatch(request: IncomingMessage, response: ServerResponse, view: MemberView, method: string, path: string, queryString: string): void {
    const segment = firstSegment(path);
    const route = ROUTES[`${method} ${segment}`];
    if (route === undefined) {
      if (method === 'GET') this.healthCheck(response, view, path, queryString);
      else writeReply(response, textReply(501, `Unsupported method ('${method}')`), this.settings.extraHeaders);
      return;
    }
    this.runRoute(request, response, route, view, queryString).catch((error: unknown) => {
      this.dependencies.logger.error({ method, path, error: (error as Error).message }, 'REST API request failed');
      if (!response.headersSent) writeReply(response, textReply(500, 'Internal Server Error'), this.settings.extraHeaders);
      else response.destroy();
    });
  }

  /** The health endpoint's code; `/` is `/primary`, as in Patroni. */
  private healthCode(view: MemberView, path: string, queryString: string, nowMs: number): number {
    return healthStatusCode(view, path === '/' ? '/primary' : path, parseQuery(queryString), nowMs);
  }

  private healthCheck(response: ServerResponse, view: MemberView, path: string, queryString: string): void {
    const nowMs = this.dependencies.monotonicNow();
    const status = this.healthCode(view, path, queryString, nowMs);
    const body = statusBody(view, nowMs < view.clusterValidUntilMs);
    writeReply(response, { status, body, contentType: 'application/json' }, this.settings.extraHeaders);
  }

  private async runRoute(request: IncomingMessage, response: ServerResponse, route: Route, view: MemberView, queryString: string): Promise<void> {
    const { logger, maxBodyBytes } = this.dependencies;
    const settings = this.settings;
    if (route.protected) {
      // Members' addresses come from the cluster view only while it is valid, as Patroni's dcs.cluster.
      const cluster = this.dependencies.monotonicNow() < view.clusterValidUntilMs ? view.snapshot.cluster : undefined;
      const refusal = await settings.access.check(request, route.allowlistMembers, cluster);
      if (refusal !== undefined) {
        logger.warn({ method: request.method, path: request.url, client: request.socket.remoteAddress, status: refusal.status }, 'REST API request refused');
        writeReply(response, refusal, settings.extraHeaders);
        return;
      }
    }
    const body = await readJsonBody(request, route.body, maxBodyBytes);
    if (!body.ok) {
      writeReply(response, body.reply, settings.extraHeaders);
      return;
    }
    const startedAtMs = this.dependencies.monotonicNow();
    const reply = await route.handle(this.context(view, queryString, body.value));
    writeReply(response, reply, settings.extraHeaders);
    logger.debug({ method: request.method, path: request.url, status: reply.status, ms: this.dependencies.monotonicNow() - startedAtMs }, 'REST API request');
  }

  private context(view: MemberView, queryString: string, body: RouteContext['body']): RouteContext {
    const dependencies = this.dependencies;
    return {
      view,
      query: parseQuery(queryString),
      body,
      controller: dependencies.controller,
      logger: dependencies.logger,
      now: dependencies.now,
      monotonicNow: dependencies.monotonicNow,
      ...(dependencies.processHealth === undefined ? {} : { processHealth: dependencies.processHealth }),
      sleep: (milliseconds) => delay(milliseconds),
      switchoverPollIntervalMs: dependencies.switchoverPollIntervalMs,
      switchoverTimeoutMs: dependencies.switchoverTimeoutMs,
      currentView: () => this.view ?? view,
    };
  }
}
