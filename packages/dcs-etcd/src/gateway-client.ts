/**
 * The etcd v3 calls pgwarden makes, against one endpoint's JSON gateway
 * (`/v3/…`, spec/dcs.md §3.3). Every call carries:
 * - `Grpc-Metadata-Hasleader: true`, which the gateway forwards as the gRPC
 *   metadata `hasleader`, so a member cut off from its raft leader answers
 *   "etcdserver: no leader" (503, code 14) instead of a stale view;
 * - `Grpc-Timeout`, the attempt's remaining time, so etcd gives up too;
 * - the auth token, raw in `Authorization`, when we have one.
 * Answers are checked against the schemas of gateway-answers.ts.
 */
import type { z } from 'zod';
import {
  authenticateAnswerSchema,
  leaseGrantAnswerSchema,
  leaseKeepAliveAnswerSchema,
  memberListAnswerSchema,
  rangeAnswerSchema,
  txnAnswerSchema,
  watchAnswerSchema,
  writeAnswerSchema,
  type RangeAnswer,
  type TxnAnswer,
  type WatchAnswer,
  type WriteAnswer,
} from './gateway-answers.js';
import { openJsonStream, postJson, type GatewayHttp, type JsonStream } from './gateway-http.js';
import type { DeleteRangeRequest, PutRequest, RangeRequest, TxnRequest, WatchCreateRequest } from './requests.js';

/** One try on one endpoint: aborted by `signal` when its share of the budget is spent. */
export interface Attempt {
  readonly signal: AbortSignal;
  /** performance.now() milliseconds. */
  readonly deadline: number;
}

/** The auth token every endpoint of one adapter shares (etcd applies authenticate through raft). */
export class GatewayAuth {
  private current: string | undefined;
  private enabled = true;

  constructor(
    readonly username: string,
    readonly password: string,
  ) {}

  get token(): string | undefined {
    return this.current;
  }

  /** True while auth may be on and we hold no token. */
  get missing(): boolean {
    return this.enabled && this.current === undefined;
  }

  accept(token: string): void {
    this.current = token;
    this.enabled = true;
  }

  /** etcd said auth is off: send no token (a later "user name is empty" turns it back on). */
  disable(): void {
    this.current = undefined;
    this.enabled = false;
  }

  /** The token was refused; forget it unless another request already replaced it. */
  invalidate(token: string | undefined): void {
    if (this.current === token) this.current = undefined;
  }
}

export interface WatchHandlers {
  onAnswer(answer: WatchAnswer): void;
  /** The stream failed or ended; never called after cancel(). */
  onFailure(error: Error): void;
}

export class EtcdGatewayClient {
  constructor(
    readonly url: string,
    private readonly connection: GatewayHttp,
    private readonly auth: GatewayAuth | undefined,
  ) {}

  private headers(attempt: Attempt | undefined): Record<string, string> {
    const headers: Record<string, string> = { 'grpc-metadata-hasleader': 'true' };
    const token = this.auth?.token;
    if (token !== undefined) headers['authorization'] = token;
    if (attempt !== undefined) headers['grpc-timeout'] = `${Math.max(1, Math.ceil(attempt.deadline - performance.now()))}m`;
    return headers;
  }

  private async call<S extends z.ZodTypeAny>(path: string, body: unknown, schema: S, attempt: Attempt): Promise<z.output<S>> {
    const json = await postJson(this.connection, `${this.url}/v3${path}`, body, this.headers(attempt), attempt.signal);
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new Error(`unexpected answer to ${path}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data as z.output<S>;
  }

  range(request: RangeRequest, attempt: Attempt): Promise<RangeAnswer> {
    return this.call('/kv/range', request, rangeAnswerSchema, attempt);
  }

  put(request: PutRequest, attempt: Attempt): Promise<WriteAnswer> {
    return this.call('/kv/put', request, writeAnswerSchema, attempt);
  }

  deleteRange(request: DeleteRangeRequest, attempt: Attempt): Promise<WriteAnswer> {
    return this.call('/kv/deleterange', request, writeAnswerSchema, attempt);
  }

  txn(request: TxnRequest, attempt: Attempt): Promise<TxnAnswer> {
    return this.call('/kv/txn', request, txnAnswerSchema, attempt);
  }

  async leaseGrant(ttlSeconds: number, attempt: Attempt): Promise<{ id: string; error: string }> {
    const answer = await this.call('/lease/grant', { TTL: ttlSeconds }, leaseGrantAnswerSchema, attempt);
    return { id: answer.ID, error: answer.error };
  }

  /** The lease's remaining TTL in seconds after this keepalive; 0 when etcd no longer knows it. */
  async leaseKeepAlive(id: string, attempt: Attempt): Promise<number> {
    return (await this.call('/lease/keepalive', { ID: id }, leaseKeepAliveAnswerSchema, attempt)).result.TTL;
  }

  async memberClientUrls(attempt: Attempt): Promise<string[]> {
    const answer = await this.call('/cluster/member/list', {}, memberListAnswerSchema, attempt);
    return answer.members.flatMap((member) => member.clientURLs);
  }

  /** A new token for our credentials (sent without the old one). */
  async authenticate(attempt: Attempt): Promise<string> {
    if (this.auth === undefined) throw new Error('no etcd credentials configured');
    const body = { name: this.auth.username, password: this.auth.password };
    const headers = { 'grpc-metadata-hasleader': 'true' };
    const json = await postJson(this.connection, `${this.url}/v3/auth/authenticate`, body, headers, attempt.signal);
    const parsed = authenticateAnswerSchema.safeParse(json);
    if (!parsed.success) throw new Error('etcd answered authenticate without a token');
    return parsed.data.token;
  }

  /**
   * Open a watch: one create request, then an answer per line until the
   * stream fails, ends or is cancelled. A watch etcd cancels for a refused
   * token also drops the token, so that the next request authenticates.
   */
  watch(request: WatchCreateRequest, handlers: WatchHandlers): JsonStream {
    const token = this.auth?.token;
    return openJsonStream(this.connection, `${this.url}/v3/watch`, { create_request: request }, this.headers(undefined), {
      onMessage: (json) => {
        const parsed = watchAnswerSchema.safeParse(json);
        if (!parsed.success) throw new Error(`unexpected watch answer: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
        const answer = parsed.data.result;
        if (answer.canceled && /Unauthenticated|invalid auth token|auth store is old/.test(answer.cancel_reason)) this.auth?.invalidate(token);
        handlers.onAnswer(answer);
      },
      onFailure: handlers.onFailure,
    });
  }
}
