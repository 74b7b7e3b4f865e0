/**
 * The two user scripts Patroni runs around PostgreSQL's life
 * (spec/postgres.md §6.2, §6.4): `pre_promote` (a fencing script; a non-zero
 * exit cancels the promotion) and `before_stop` (run before every stop; its
 * exit status is only logged). Both are split like a shell would split them
 * and get no arguments, as in Patroni; they run as the PostgreSQL user.
 */
import { PgwardenError, PRE_PROMOTE_FAILED } from '@pgwarden/core';
import type { Context } from './context.js';
import { splitCommand } from './option-lists.js';
import { describeFailure, runCommand } from './process/run-command.js';

/** Error code of a promotion that pre_promote refused (core's): callers tell it apart from a failed `pg_promote`. */
export { PRE_PROMOTE_FAILED };

/** A pre_promote script is configured (a command, not an empty string). */
export function hasPrePromote(context: Context): boolean {
  const script = context.options.pre_promote;
  return script !== undefined && splitCommand(script).length > 0;
}

/**
 * Runs pre_promote (when configured); throws PRE_PROMOTE_FAILED when it
 * exits non-zero or cannot be started, `pg-promote-cancelled` when `signal`
 * cancelled it.
 */
export async function runPrePromote(context: Context, signal?: AbortSignal): Promise<void> {
  const script = context.options.pre_promote;
  const [command, ...args] = script === undefined ? [] : splitCommand(script);
  if (command === undefined) return;
  const result = await runCommand(command, args, {
    user: context.user,
    timeoutMs: context.options.pre_promote_timeout_seconds * 1000,
    ...(signal === undefined ? {} : { signal }),
  }).catch((error: unknown) => {
    throw new PgwardenError(PRE_PROMOTE_FAILED, `pre_promote script could not run: ${(error as Error).message}`, { cause: error });
  });
  context.logger.info({ script, code: result.code, signal: result.signal }, `pre_promote script exited with ${result.code ?? result.signal}`);
  // Cancelled is not refused (Patroni: a cancelled task has no result): the lock holder may try again.
  if (signal?.aborted === true) throw new PgwardenError('pg-promote-cancelled', 'promotion cancelled while pre_promote ran');
  if (result.code !== 0) throw new PgwardenError(PRE_PROMOTE_FAILED, describeFailure('pre_promote script', result));
}

/**
 * Runs before_stop (when configured) and waits for it; a failure is logged
 * and the stop goes on. Beyond Patroni (which waits without a bound), it is
 * bounded: by the stop's timeout, and for a demoting primary by the time left
 * before its leader lock can expire (`StopOptions.preStopBudgetMs`) — a hung
 * script must not keep a primary taking writes past its lock.
 */
export async function runBeforeStop(context: Context, timeoutMs: number): Promise<void> {
  const script = context.options.before_stop;
  const [command, ...args] = script === undefined ? [] : splitCommand(script);
  if (command === undefined) return;
  try {
    const result = await runCommand(command, args, { user: context.user, timeoutMs });
    if (result.code === 0) context.logger.info({ script }, 'before_stop script exited with 0');
    else context.logger.warn({ script, failure: describeFailure('before_stop script', result) }, 'before_stop script failed; stopping anyway');
  } catch (error) {
    context.logger.error({ script, error: (error as Error).message }, 'before_stop script could not run; stopping anyway');
  }
}
