/**
 * When the next cycle starts (core README, runtime protocol): on the
 * loop_wait cadence; at once after a failed action (once — a second failure
 * in a row waits for the cadence, so a failing write cannot spin the loop);
 * at once when the lock's validity ran out; and never later than the
 * `wakeUpAtMs` decide() asked for. Pure: the runtime passes the facts in.
 */
export interface ScheduleFacts {
  /** When the previous cycle was due on the cadence. */
  readonly previousDueMs: number;
  readonly loopWaitMs: number;
  readonly nowMs: number;
  readonly actionFailed: boolean;
  /** The previous cycle itself was an immediate retry after a failure. */
  readonly previousWasRetry: boolean;
  readonly lockValidityEnded: boolean;
  readonly wakeUpAtMs: number | undefined;
}

export interface NextCycle {
  readonly dueMs: number;
  readonly why: 'cadence' | 'overrun' | 'retry after failure' | 'lock validity ended' | 'wake-up asked by decide';
  /** The loop_wait cadence continues from here. */
  readonly cadenceMs: number;
}

export function planNextCycle(facts: ScheduleFacts): NextCycle {
  const { nowMs } = facts;
  const cadenceMs = facts.previousDueMs + facts.loopWaitMs;
  if (facts.lockValidityEnded) return { dueMs: nowMs, why: 'lock validity ended', cadenceMs: nowMs };
  if (facts.actionFailed && !facts.previousWasRetry) return { dueMs: nowMs, why: 'retry after failure', cadenceMs: nowMs };
  if (cadenceMs <= nowMs) return { dueMs: nowMs, why: 'overrun', cadenceMs: nowMs };
  if (facts.wakeUpAtMs !== undefined && facts.wakeUpAtMs < cadenceMs) {
    const dueMs = Math.max(nowMs, facts.wakeUpAtMs);
    return { dueMs, why: 'wake-up asked by decide', cadenceMs: dueMs };
  }
  return { dueMs: cadenceMs, why: 'cadence', cadenceMs };
}
