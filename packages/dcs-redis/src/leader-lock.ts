/**
 * The leader lock: a hash `leader` {value: our name, session} with a
 * millisecond expiry (PEXPIRE ttl) that the server sets in the same script
 * that checks the holder, so no other writer can slip in between the check
 * and the renewal.
 *
 * `renewedAtMs` is the injected clock read right before the confirmed
 * attempt was sent: Redis starts the ttl when it runs the script, which is
 * later, so `renewedAtMs + ttl` never outlives the key. In replicated mode
 * the script is followed by WAIT and only counts once enough replicas have
 * it. Anything but an answer from the script (timeout, connection error,
 * refused command, too few replicas) is `unreachable`, never `lost`; `lost`
 * means the script saw another holder or no key at all.
 */
import type { LockOutcome } from '@pgwarden/core';
import { unreachable, type DcsContext } from './context.js';
import { RELATIVE } from './keys.js';

export type LockOperation = 'acquire' | 'update' | 'take';

export interface LockExtras {
  /** Written to /status (update only) when different. */
  readonly status?: string;
  readonly failsafe?: string;
}

export async function runLockScript(context: DcsContext, operation: LockOperation, extras: LockExtras = {}): Promise<LockOutcome> {
  const { keys, name, clock } = context;
  const ttlMs = String(Math.round(context.timings().ttlSeconds * 1000));
  let sentAt = 0;
  try {
    const [result, owner] = await context.connection.runLock(
      context.deadline(),
      () => {
        sentAt = clock();
        return [keys.channel, operation, name, context.session(), ttlMs, extras.status ?? '', extras.failsafe ?? ''];
      },
      [keys.index, keys.revision, keys.leader, keys.key(RELATIVE.status), keys.key(RELATIVE.failsafe)],
    );
    if (result === 'held') return { kind: 'held', renewedAtMs: sentAt };
    context.logger.warn({ operation, owner: owner || undefined }, 'leader lock is not ours');
    return owner ? { kind: 'lost', owner } : { kind: 'lost' };
  } catch (error) {
    return { kind: 'unreachable', message: unreachable(context, `${operation} leader lock`, error).message };
  }
}
