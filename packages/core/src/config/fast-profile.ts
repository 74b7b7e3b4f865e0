/**
 * The fast timing profile: `ttl` below Patroni's floor of 20 s (down to 5),
 * `retry_timeout` below 3 (down to 1), accepted only when the fence argument
 * holds for the configuration the agent runs. Patroni's floor exists because
 * its loop cannot promise that a primary stops writing before its lock
 * expires; pgwarden's runtime can, under these conditions:
 *
 * 1. Validity is counted from the send time of the last confirmed renewal on
 *    the monotonic clock (`lock-validity.ts`); the DCS counts the key's ttl
 *    from when it processed that request, later — so the key cannot expire
 *    at the DCS before `sent + ttl`.
 * 2. At `sent + ttl − margin` the runtime abandons whatever the cycle waits on
 *    and demotes (the fence). From there PostgreSQL must refuse writes within
 *    `margin`: the measured fence (timer → decision → postmaster signalled,
 *    backends terminated) must fit, with room, in the margin. The margin is
 *    the watchdog's `safety_margin` (at most ttl/2).
 * 3. A healthy leader must be able to renew within its validity: a cycle
 *    every loop_wait, a renewal that may take up to retry_timeout, so
 *    `loop_wait + retry_timeout ≤ ttl − margin`; and Patroni's own rule
 *    `loop_wait + 2·retry_timeout ≤ ttl` (no silent adjustment here: a value
 *    the operator chose for speed is refused, not rewritten).
 * 4. The watchdog, when used, fires at `ttl − margin` (Patroni's timeout):
 *    condition 3 makes that longer than one loop, so it never resets a
 *    healthy machine; in `required` mode the runtime refuses the lock while
 *    the device's timeout is longer than `ttl − margin` (`watchdog.ts`).
 *
 * Pure: the daemon and `--validate-config` call it with the configured values.
 */

/** Floors of the fast profile (Patroni's are 20 / 1 / 3). */
export const FAST_PROFILE_MINIMUMS = { ttl: 5, loop_wait: 1, retry_timeout: 1 } as const;

/**
 * Time the fence may take from the end of the lock's validity to PostgreSQL
 * refusing writes. Measured on a 2-core machine under the partition test
 * (timer to `pg_ctl stop -m fast` signalled: tens of ms) and kept with wide
 * room for a loaded host: a configuration whose margin is below this is
 * refused.
 */
export const FENCE_BUDGET_MS = 1000;

export interface FastProfileInput {
  readonly ttl: number;
  readonly loop_wait: number;
  readonly retry_timeout: number;
  /** watchdog.safety_margin in seconds (-1 = ttl/2; default 5). */
  readonly safety_margin?: number;
}

/** True when the values are below Patroni's floors, i.e. only the fast profile can run them. */
export function isFastProfile(values: Pick<FastProfileInput, 'ttl' | 'retry_timeout'>): boolean {
  return values.ttl < 20 || values.retry_timeout < 3;
}

/** The fence margin in ms: safety_margin, at most ttl/2 (-1 = ttl/2), as lock-validity.ts computes it. */
export function fenceMarginMs(ttl: number, safetyMargin: number | undefined): number {
  const margin = safetyMargin ?? 5;
  if (margin < 0) return Math.floor(ttl / 2) * 1000;
  return Math.min(margin, ttl / 2) * 1000;
}

/**
 * The watchdog timeout in whole seconds: ttl - safety_margin as Patroni sets it
 * (-1 = ttl/2), the margin capped at ttl/2 as the fence caps it, rounded down
 * so the device never fires later than the fence.
 */
export function watchdogTimeoutSeconds(ttl: number, safetyMargin: number | undefined): number {
  const margin = safetyMargin ?? 5;
  return margin === -1 ? Math.floor(ttl / 2) : Math.floor(ttl - Math.min(margin, ttl / 2));
}

/**
 * Why the fast profile cannot run these values — one line naming the
 * condition that fails — or undefined when it can. Only meaningful when
 * `isFastProfile(values)`.
 */
export function fastProfileProblem(values: FastProfileInput): string | undefined {
  const { ttl, loop_wait: loopWait, retry_timeout: retryTimeout } = values;
  for (const name of ['ttl', 'loop_wait', 'retry_timeout'] as const) {
    if (values[name] < FAST_PROFILE_MINIMUMS[name]) return `${name}=${values[name]} is below the fast profile's minimum ${FAST_PROFILE_MINIMUMS[name]}`;
  }
  if (loopWait + 2 * retryTimeout > ttl) return `loop_wait + 2*retry_timeout must be <= ttl, found ${loopWait} + 2*${retryTimeout} > ${ttl}`;
  const marginMs = fenceMarginMs(ttl, values.safety_margin);
  if (marginMs < FENCE_BUDGET_MS) {
    return `the fence margin (watchdog.safety_margin, at most ttl/2) is ${marginMs} ms, less than the ${FENCE_BUDGET_MS} ms a demotion may take to stop writes before the lock expires`;
  }
  const validityMs = ttl * 1000 - marginMs;
  if ((loopWait + retryTimeout) * 1000 > validityMs) {
    return `loop_wait + retry_timeout (${loopWait} + ${retryTimeout} s) must fit in the lock's validity ttl - safety_margin (${validityMs / 1000} s), else a healthy leader fences itself`;
  }
  return undefined;
}
