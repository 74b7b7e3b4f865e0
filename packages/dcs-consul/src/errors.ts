/**
 * What a Consul answer means to the adapter. Only a few answers are
 * definitive (the session is gone, the TTL is refused, the token is refused,
 * the request is malformed); a 5xx that is not one of Consul's documented
 * session errors is an internal error and is retried, and anything that got
 * no answer at all is transient. Nothing here ever means "the lock is lost":
 * only a `false` from an acquire, or a read of the leader key, can say that.
 */
import { ConsulTransportError, type ConsulResponse } from './http.js';

export type ConsulAnswerKind =
  | 'ok'
  | 'not-found'
  | 'invalid-session'
  | 'invalid-session-ttl'
  | 'forbidden'
  | 'bad-request'
  /** 5xx without a recognised text, 429, or no answer at all: retry within the deadline. */
  | 'transient';

export function classifyAnswer(response: ConsulResponse): ConsulAnswerKind {
  const text = response.body.trimStart().toLowerCase();
  if (response.status >= 200 && response.status < 300) return 'ok';
  if (text.startsWith('invalid session ttl')) return 'invalid-session-ttl';
  if (text.startsWith('invalid session')) return 'invalid-session';
  if (response.status === 404) return 'not-found';
  if (response.status === 401 || response.status === 403) return 'forbidden';
  if (response.status === 429 || response.status >= 500) return 'transient';
  return 'bad-request';
}

export function describeAnswer(response: ConsulResponse): string {
  const text = response.body.trim().slice(0, 200);
  return `HTTP ${response.status}${text === '' ? '' : `: ${text}`}`;
}

export function describeError(error: unknown): string {
  if (error instanceof ConsulTransportError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
