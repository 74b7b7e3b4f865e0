/**
 * The state one ZooKeeperDcs shares between its operations, and the helpers
 * that turn outcomes into the core's typed results.
 */
import type { DcsFailure, DcsTimings, Logger } from '@pgwarden/core';
import type { ClusterReader } from './cluster-reader.js';
import type { ClusterKeys } from '@pgwarden/core';
import { describe, type ZkConnection } from './zk-connection.js';
import type { Znodes } from './znodes.js';
import { dcsFail as fail } from '@pgwarden/core';

export interface ZkContext {
  readonly name: string;
  readonly keys: ClusterKeys;
  readonly logger: Logger;
  readonly connection: ZkConnection;
  readonly znodes: Znodes;
  readonly reader: ClusterReader;
  /** `released`: we deleted the leader znode ourselves since we last took it; a refresh must not re-create it. */
  readonly lock: { released: boolean };
  timings(): DcsTimings;
  /** performance.now() + retry_timeout: the end of one operation's budget. */
  deadline(): number;
}

export { dcsFail as fail, dcsOk as ok } from '@pgwarden/core';

/** Any thrown error is "unreachable": never a lost lock, never a conflict. */
export function unreachable(context: ZkContext, operation: string, error: unknown): DcsFailure {
  const message = `${operation}: ${describe(error)}`;
  context.logger.warn({ operation, error: describe(error) }, 'zookeeper operation failed');
  return fail('unreachable', message);
}
