/**
 * The state one EtcdDcs shares between its operations: settings, clock,
 * transport, lease and watch cache, plus the helpers that turn a thrown
 * request error into the typed outcome the core understands.
 */
import type { DcsFailure, DcsTimings } from '@pgwarden/core';
import { describeError } from './errors.js';
import type { ClusterKeys } from './keys.js';
import type { LeaseKeeper } from './lease.js';
import type { Logger } from './logger.js';
import type { EtcdTransport } from './transport.js';
import type { WatchCache } from './watch-cache.js';
import { dcsFail as fail } from '@pgwarden/core';

export interface DcsContext {
  readonly name: string;
  readonly keys: ClusterKeys;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly transport: EtcdTransport;
  readonly lease: LeaseKeeper;
  readonly cache: WatchCache;
  timings(): DcsTimings;
  /** performance.now() + retry_timeout: the end of one operation's budget. */
  deadline(): number;
}

export { dcsFail as fail, dcsOk as ok } from '@pgwarden/core';

/** Any thrown error is "unreachable": never a lost lock, never a conflict. */
export function unreachable(context: DcsContext, operation: string, error: unknown): DcsFailure {
  const message = `${operation}: ${describeError(error)}`;
  context.logger.warn({ operation, endpoint: context.transport.currentEndpoint, error: describeError(error) }, 'etcd operation failed');
  return fail('unreachable', message);
}
