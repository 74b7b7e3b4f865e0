/**
 * Patroni's timing rule (`_validate_and_adjust_timeouts`): the leader must be
 * able to run a cycle and retry the DCS twice before its lock expires, so
 * `loop_wait + 2 * retry_timeout <= ttl`. Values below their minimum are raised;
 * then loop_wait gives way first, and retry_timeout only when loop_wait is
 * already at its minimum. The running agent adjusts; it never refuses.
 *
 * Values below Patroni's floors run as given when the fast profile's fence
 * argument holds for them (`fast-profile.ts`); otherwise Patroni's adjustment
 * applies, with a warning that names the condition that failed.
 */
import { fastProfileProblem, isFastProfile } from './fast-profile.js';
import { parseInteger } from './value-parsers.js';

export const TIMEOUT_DEFAULTS = { ttl: 30, loop_wait: 10, retry_timeout: 10 } as const;
export const TIMEOUT_MINIMUMS = { ttl: 20, loop_wait: 1, retry_timeout: 3 } as const;

export interface Timeouts {
  readonly ttl: number;
  readonly loop_wait: number;
  readonly retry_timeout: number;
}

export interface AdjustedTimeouts extends Timeouts {
  /** Patroni's warning lines, in the order it logs them. */
  readonly warnings: readonly string[];
}

type TimeoutName = keyof Timeouts;

/** True when the three values keep Patroni's rule. */
export function timeoutsKeepRule(timeouts: Timeouts): boolean {
  return timeouts.loop_wait + 2 * timeouts.retry_timeout <= timeouts.ttl;
}

/**
 * The values the agent will run with. Missing values take Patroni's defaults;
 * values that are not integers are replaced by the default with a warning.
 */
export function adjustTimeouts(input: Partial<Record<TimeoutName, unknown>>, fence: { readonly safety_margin?: number } = {}): AdjustedTimeouts {
  const warnings: string[] = [];
  const values: Record<TimeoutName, number> = { ...TIMEOUT_DEFAULTS };
  for (const name of ['loop_wait', 'retry_timeout', 'ttl'] as const) {
    const raw = input[name];
    if (raw === undefined || raw === null) continue;
    const parsed = parseInteger(raw);
    if (parsed === undefined) {
      warnings.push(`${name}=${String(raw)} is not an integer, using the default ${TIMEOUT_DEFAULTS[name]}`);
      continue;
    }
    values[name] = parsed;
  }
  if (isFastProfile(values)) {
    const problem = fastProfileProblem({ ...values, ...fence });
    if (problem === undefined) return { ...values, warnings };
    warnings.push(`the fast timing profile can not run ttl=${values.ttl}, loop_wait=${values.loop_wait}, retry_timeout=${values.retry_timeout}: ${problem}`);
  }
  for (const name of ['loop_wait', 'retry_timeout', 'ttl'] as const) {
    const parsed = values[name];
    if (parsed < TIMEOUT_MINIMUMS[name]) {
      warnings.push(`${name}=${parsed} can't be smaller than ${TIMEOUT_MINIMUMS[name]}, adjusting...`);
      values[name] = TIMEOUT_MINIMUMS[name];
    }
  }
  const { ttl, loop_wait: loopWait, retry_timeout: retryTimeout } = values;
  if (TIMEOUT_MINIMUMS.loop_wait + 2 * retryTimeout > ttl) {
    values.loop_wait = TIMEOUT_MINIMUMS.loop_wait;
    values.retry_timeout = Math.floor((ttl - TIMEOUT_MINIMUMS.loop_wait) / 2);
    warnings.push(
      `Violated the rule "loop_wait + 2*retry_timeout <= ttl", where ttl=${ttl}. ` +
        `Adjusting loop_wait from ${loopWait} to ${values.loop_wait} and retry_timeout from ${retryTimeout} to ${values.retry_timeout}`,
    );
  } else if (loopWait + 2 * retryTimeout > ttl) {
    values.loop_wait = ttl - 2 * retryTimeout;
    warnings.push(
      `Violated the rule "loop_wait + 2*retry_timeout <= ttl", where ttl=${ttl} and retry_timeout=${retryTimeout}. ` +
        `Adjusting loop_wait from ${loopWait} to ${values.loop_wait}`,
    );
  }
  return { ...values, warnings };
}
