/**
 * Whether we may still act as the holder of the leader lock, judged by our
 * own clock: valid until the last successful renewal (the time its request
 * was sent) plus ttl minus a safety margin. Never from a client library's
 * "lease lost" signal, which can arrive late (microsoft/etcd3#57): the DCS
 * cannot hand the key to anyone else before ttl after our renewal, so
 * stopping writes before that point keeps a single writable primary.
 */
import { fenceMarginMs } from '../config/fast-profile.js';
import type { HaSettings } from '../model/decide-types.js';

/** Safety margin in ms: Patroni's watchdog safety_margin (default 5 s; -1 = ttl/2). */
export function safetyMarginMs(settings: HaSettings): number {
  return fenceMarginMs(settings.ttlSeconds, settings.safetyMarginSeconds);
}

/**
 * The moment after which we must no longer act as leader, for a lock last
 * confirmed at `renewedAtMs` (`DecideInput.lockRenewedAtMs`); undefined when
 * we hold none.
 */
export function lockValidUntilMs(renewedAtMs: number | undefined, settings: HaSettings): number | undefined {
  if (renewedAtMs === undefined) return undefined;
  return renewedAtMs + settings.ttlSeconds * 1000 - safetyMarginMs(settings);
}

export function isLockValid(renewedAtMs: number | undefined, settings: HaSettings, nowMs: number): boolean {
  const until = lockValidUntilMs(renewedAtMs, settings);
  return until !== undefined && nowMs < until;
}
