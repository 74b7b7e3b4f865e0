/**
 * What a route handler receives and declares. The server runs, in order:
 * access control (for protected routes), body reading and parsing, then the
 * handler; a handler therefore only sees well-formed JSON objects.
 */
import type { MemberController } from './controller.js';
import type { Query } from './health.js';
import type { BodyMode, JsonObject, Reply } from './http-io.js';
import type { MemberView } from './member-view.js';
import type { ProcessHealth, RestApiLogger } from './options.js';

export interface RouteContext {
  readonly view: MemberView;
  readonly query: Query;
  readonly body: JsonObject;
  readonly controller: MemberController;
  readonly logger: RestApiLogger;
  /** Wall clock: schedules. */
  readonly now: () => number;
  /** The snapshot's clock: lock and cluster validity. */
  readonly monotonicNow: () => number;
  /** The serving process's health for `/metrics`, when the embedder gives it. */
  readonly processHealth?: () => ProcessHealth;
  readonly sleep: (milliseconds: number) => Promise<void>;
  readonly switchoverPollIntervalMs: number;
  /** Undefined: `2 * max(10, loop_wait)` seconds. */
  readonly switchoverTimeoutMs: number | undefined;
  /** Latest member view at the time of the call (polling loops re-read it). */
  readonly currentView: () => MemberView;
}

export interface Route {
  /** Needs allowlist / client certificate / basic auth. */
  readonly protected: boolean;
  /** `restapi.allowlist_include_members` applies (not for POST /failsafe, 4.x). */
  readonly allowlistMembers: boolean;
  readonly body: BodyMode;
  handle(context: RouteContext): Promise<Reply> | Reply;
}
