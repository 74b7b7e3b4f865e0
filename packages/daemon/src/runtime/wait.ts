/**
 * The wait between cycles: until the next scheduled run, or earlier when
 * the DCS watch reports a change that matters (leader key changed or gone,
 * config changed, leader status changed), or the wake signal fires
 * (postmaster exit, finished background action, API request, shutdown).
 *
 * A DCS watch that returns "not woken" before the deadline (stream reset,
 * cache not ready) must not end the wait early: only a real event or the
 * deadline does, so a broken watch never turns the loop into a busy loop.
 */
import type { Dcs } from '@pgwarden/core';
import type { Clock } from '../ports.js';
import type { WakeSignal } from './wake-signal.js';

/**
 * Why the wait's own signal is aborted once the wait is over. A reason given
 * spares `abort()` building a DOMException, stack trace included, on every
 * cycle (~4 % of an idle agent's JavaScript time, profiled); the watchers
 * only stop listening and never look at it.
 */
const WAIT_OVER = new Error('the wait for the next cycle is over');

/** Resolves with the wake reason, or undefined when the full timeout passed. */
export async function waitForNextCycle(dcs: Dcs, wakeSignal: WakeSignal, timeoutMs: number, clock: Clock): Promise<string | undefined> {
  const controller = new AbortController();
  let cancelTimer: (() => void) | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    cancelTimer = clock.setTimer(() => resolve(undefined), timeoutMs);
  });
  const watched = dcs.watch(timeoutMs, controller.signal).then(
    (woken) => (woken ? 'dcs change' : timeout),
    () => timeout,
  );
  try {
    return await Promise.race([timeout, watched, wakeSignal.next(controller.signal)]);
  } finally {
    cancelTimer?.();
    controller.abort(WAIT_OVER);
  }
}
