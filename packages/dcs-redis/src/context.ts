/**
 * The state one RedisDcs shares between its operations, and the helpers that
 * turn a thrown request error into the typed outcome the core understands.
 */
import type { DcsFailure, DcsTimings } from '@pgwarden/core';
import type { RedisConnection } from './connection.js';
import type { ClusterKeys } from './keys.js';
import type { Logger } from './logger.js';
import { dcsFail as fail } from '@pgwarden/core';

export interface DcsContext {
  readonly name: string;
  readonly keys: ClusterKeys;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly connection: RedisConnection;
  timings(): DcsTimings;
  /** Identifies this adapter's lock and member keys; renewed when ttl changes (as etcd's lease is). */
  session(): string;
  /** performance.now() + retry_timeout: the end of one operation's budget. */
  deadline(): number;
}

export { dcsFail as fail, dcsOk as ok } from '@pgwarden/core';

/** Any thrown error is "unreachable": never a lost lock, never a conflict. */
export function unreachable(context: DcsContext, operation: string, error: unknown): DcsFailure {
  const detail = error instanceof Error ? error.message : String(error);
  context.logger.warn({ operation, error: detail }, 'redis operation failed');
  return fail('unreachable', `${operation}: ${detail}`);
}
