/**
 * Writes of the keys that are not the leader lock (spec/dcs.md §3.4): plain
 * puts, compare-and-swap on mod_revision when the caller gives a version,
 * create-only for `initialize`. A failed condition is `conflict` and restarts
 * the watch (it suggests our cached view is stale); a thrown error is
 * `unreachable`.
 */
import type { DcsResult } from '@pgwarden/core';
import { fail, ok, unreachable, type DcsContext } from './context.js';
import { deleteOp, keyAbsent, modifiedAt, putOp, putRequest, rangeRequest, revisionOf, type Compare, type RequestOp } from './requests.js';

/** Run a conditional transaction; returns the revision on success, or a failure. */
async function conditional(
  context: DcsContext,
  operation: string,
  compare: Compare,
  success: RequestOp,
  deadline: number,
): Promise<DcsResult<number>> {
  try {
    const response = await context.transport.run('txn', deadline, (client, attempt) => client.txn({ compare: [compare], success: [success] }, attempt));
    if (response.succeeded) return ok(revisionOf(response));
    context.cache.restart();
    return fail('conflict', `${operation}: the key changed since it was read (compare failed)`);
  } catch (error) {
    return unreachable(context, operation, error);
  }
}

export interface WriteOptions {
  /** CAS: only if the key's mod_revision still equals it. */
  readonly version?: number | undefined;
  readonly lease?: string;
  /** End of the budget (performance.now() ms) when this write is one step of a larger operation. */
  readonly deadline?: number;
}

/** Put `value` at `key`; with `version`, only if the key's mod_revision still equals it. */
export async function putKey(
  context: DcsContext,
  operation: string,
  key: string,
  value: string,
  options: WriteOptions = {},
): Promise<DcsResult<number>> {
  const { version, lease } = options;
  const deadline = options.deadline ?? context.deadline();
  let result: DcsResult<number>;
  if (version !== undefined) {
    result = await conditional(context, operation, modifiedAt(key, version), putOp(key, value, lease), deadline);
  } else {
    try {
      const response = await context.transport.run('put', deadline, (client, attempt) => client.put(putRequest(key, value, lease), attempt));
      result = ok(revisionOf(response));
    } catch (error) {
      return unreachable(context, operation, error);
    }
  }
  if (result.ok) context.cache.applyWrite(key, value, result.value, lease ?? '0');
  return result;
}

/** Create `key` only if absent. */
export async function createKey(context: DcsContext, operation: string, key: string, value: string): Promise<DcsResult<number>> {
  const result = await conditional(context, operation, keyAbsent(key), putOp(key, value), context.deadline());
  if (result.ok) context.cache.applyWrite(key, value, result.value);
  return result;
}

/** Delete `key`; with `version`, only if its mod_revision still equals it. Prefix deletes with `prefix`. */
export async function deleteKey(
  context: DcsContext,
  operation: string,
  key: string,
  options: { version?: number; rangeEnd?: Buffer } = {},
): Promise<DcsResult<void>> {
  if (options.version !== undefined) {
    const result = await conditional(context, operation, modifiedAt(key, options.version), deleteOp(key), context.deadline());
    if (!result.ok) return result;
    context.cache.applyWrite(key, undefined, result.value);
    return ok();
  }
  try {
    const response = await context.transport.run('delete', context.deadline(), (client, attempt) =>
      client.deleteRange(rangeRequest(key, options.rangeEnd), attempt),
    );
    if (options.rangeEnd === undefined) context.cache.applyWrite(key, undefined, revisionOf(response));
    return ok();
  } catch (error) {
    return unreachable(context, operation, error);
  }
}
