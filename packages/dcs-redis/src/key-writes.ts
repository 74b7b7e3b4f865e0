/**
 * Writes and deletes of single keys through the PUT and DELETE scripts:
 * the comparison (absent, version, owner, unchanged) and the write are one
 * atomic step in Redis. A refused comparison is `conflict`; anything thrown
 * is `unreachable`.
 */
import type { DcsResult } from '@pgwarden/core';
import { fail, ok, unreachable, type DcsContext } from './context.js';

export type PutMode = 'set' | 'create' | 'cas' | 'touch' | 'unless-equal';

export interface PutOptions {
  readonly mode?: PutMode;
  /** Required with mode cas. */
  readonly version?: number;
  /** Expiry in ms and the session the key is bound to (member keys). */
  readonly ttlMs?: number;
  readonly session?: string;
  readonly deadline?: number;
}

/** Resolves to the key's version after the call (unchanged for `same`). */
export async function putKey(context: DcsContext, operation: string, relative: string, value: string, options: PutOptions = {}): Promise<DcsResult<number>> {
  const { keys, connection } = context;
  const mode: PutMode = options.mode ?? (options.version !== undefined ? 'cas' : 'set');
  try {
    const [status, detail] = await connection.run(operation, options.deadline ?? context.deadline(), (client) =>
      client.pgwPut(keys.index, keys.revision, keys.key(relative), keys.channel, relative, value, options.session ?? '', String(options.ttlMs ?? 0), mode, String(options.version ?? '')),
    );
    if (status === 'conflict') {
      return fail('conflict', `${operation}: ${mode === 'create' ? 'the key already exists' : 'the key changed since it was read (version mismatch)'}`);
    }
    return ok(Number(detail ?? 0));
  } catch (error) {
    return unreachable(context, operation, error);
  }
}

export type DeleteMode = 'any' | 'cas' | 'owner';

/** `expected`: the version (cas) or the owner name (owner). */
export async function deleteKey(context: DcsContext, operation: string, relative: string, mode: DeleteMode = 'any', expected = '', deadline = context.deadline()): Promise<DcsResult<void>> {
  const { keys, connection } = context;
  try {
    const [status, current] = await connection.run(operation, deadline, (client) =>
      client.pgwDelete(keys.index, keys.revision, keys.key(relative), keys.channel, relative, mode, expected),
    );
    if (status === 'ok') return ok();
    if (status === 'not-found') return fail('not-found', `${operation}: the key does not exist`);
    return fail('conflict', mode === 'owner' ? `${operation}: the key belongs to ${JSON.stringify(current ?? '')}, not to us` : `${operation}: the key changed since it was read`);
  } catch (error) {
    return unreachable(context, operation, error);
  }
}
