/**
 * The Consul session that binds the leader and member keys (spec/dcs.md
 * §4.1): TTL = ttl/2 (Consul invalidates a session only after twice its
 * TTL, so the keys vanish about `ttl` after the last renewal), no node
 * checks unless configured, behavior=delete, lock-delay 1 ms.
 *
 * Invariant: `renewedAtMs` is the injected clock's time just before the
 * successful create/renew request was sent, so a lock's validity computed
 * from it never outlasts what Consul grants.
 */
import { call, type ClientContext } from './client.js';
import { describeAnswer } from './errors.js';
import { sessionTtlText } from './options.js';

export interface HeldSession {
  readonly id: string;
  readonly renewedAtMs: number;
  /** True when this call created a new session (keys on the old one are gone). */
  readonly created: boolean;
}

export type SessionResult = { readonly ok: true; readonly session: HeldSession } | { readonly ok: false; readonly message: string };

export interface SessionSettings {
  readonly sessionName: string;
  readonly checks: readonly string[];
  ttlSeconds(): number;
  loopWaitSeconds(): number;
}

export class SessionKeeper {
  private id: string | undefined;
  private renewedAtMs = 0;
  /** Session TTL in seconds; raised to the agent's SessionTTLMin when it refuses ours. */
  private ttlSeconds: number | undefined;

  constructor(
    private readonly context: ClientContext,
    private readonly settings: SessionSettings,
  ) {}

  get currentId(): string | undefined {
    return this.id;
  }

  /** Forget the session (ttl changed): the next ensure() creates one with the new TTL. */
  reset(): void {
    this.id = undefined;
    this.ttlSeconds = undefined;
  }

  /** Consul said the session is invalid: the next ensure() creates a new one (same TTL). */
  forget(): void {
    this.id = undefined;
  }

  /** Let the next ensure() renew even if loop_wait has not passed (before each watch). */
  resetThrottle(): void {
    this.renewedAtMs = 0;
  }

  /** Renew (at most once per loop_wait unless forced) or create the session. */
  async ensure(force: boolean, deadline: number): Promise<SessionResult> {
    const now = this.context.clock();
    if (this.id !== undefined && !force && now - this.renewedAtMs < this.settings.loopWaitSeconds() * 1000) {
      return { ok: true, session: { id: this.id, renewedAtMs: this.renewedAtMs, created: false } };
    }
    if (this.id !== undefined) {
      const sentAt = this.context.clock();
      const result = await call(this.context, { method: 'PUT', path: `/v1/session/renew/${encodeURIComponent(this.id)}` }, deadline);
      if (result.kind === 'failed') return { ok: false, message: `renew session: ${result.message}` };
      if (result.answer === 'ok') {
        this.renewedAtMs = sentAt;
        return { ok: true, session: { id: this.id, renewedAtMs: sentAt, created: false } };
      }
      if (result.answer !== 'not-found') return { ok: false, message: `renew session: ${describeAnswer(result.response)}` };
      this.context.logger.warn({ session: this.id }, 'consul session is gone (expired or destroyed); creating a new one');
      this.id = undefined;
    }
    return this.create(deadline);
  }

  private async create(deadline: number): Promise<SessionResult> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const ttl = this.ttlSeconds ?? this.settings.ttlSeconds() / 2;
      const body = JSON.stringify({
        name: this.settings.sessionName,
        checks: this.settings.checks,
        lockdelay: '0.001s',
        behavior: 'delete',
        ttl: sessionTtlText(ttl),
      });
      const sentAt = this.context.clock();
      const result = await call(this.context, { method: 'PUT', path: '/v1/session/create', body }, deadline);
      if (result.kind === 'failed') return { ok: false, message: `create session: ${result.message}` };
      if (result.answer === 'ok') {
        const id = parseSessionId(result.response.body);
        if (id === undefined) return { ok: false, message: `create session: unexpected answer ${result.response.body.slice(0, 200)}` };
        this.id = id;
        this.renewedAtMs = sentAt;
        return { ok: true, session: { id, renewedAtMs: sentAt, created: true } };
      }
      if (result.answer !== 'invalid-session-ttl' || attempt > 0) return { ok: false, message: `create session: ${describeAnswer(result.response)}` };
      const adjusted = await this.readSessionTtlMin(deadline);
      if (adjusted === undefined) return { ok: false, message: `create session: ${describeAnswer(result.response)}` };
      this.context.logger.warn({ fromSeconds: ttl, toSeconds: adjusted }, 'consul refused the session TTL; using the agent SessionTTLMin (keys will outlive ttl)');
      this.ttlSeconds = adjusted;
    }
    return { ok: false, message: 'create session: unreachable' };
  }

  /** The agent's SessionTTLMin (nanoseconds in `Config`), in seconds; 10 s when absent, as Patroni. */
  private async readSessionTtlMin(deadline: number): Promise<number | undefined> {
    const result = await call(this.context, { method: 'GET', path: '/v1/agent/self' }, deadline);
    if (result.kind === 'failed' || result.answer !== 'ok') return undefined;
    try {
      const parsed = JSON.parse(result.response.body) as { Config?: { SessionTTLMin?: unknown } };
      const nanos = parsed.Config?.SessionTTLMin;
      return typeof nanos === 'number' && nanos > 0 ? nanos / 1e9 : 10;
    } catch {
      return undefined;
    }
  }
}

function parseSessionId(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { ID?: unknown };
    return typeof parsed.ID === 'string' && parsed.ID !== '' ? parsed.ID : undefined;
  } catch {
    return undefined;
  }
}
