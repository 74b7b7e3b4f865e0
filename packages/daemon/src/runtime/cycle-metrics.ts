/**
 * Counters of the agent's cycles for `/metrics`: how many cycles ran, how
 * long they took, which actions ran and which failed.
 */
export interface CycleMetricsView {
  readonly cyclesTotal: number;
  readonly cycleDurationSecondsTotal: number;
  readonly lastCycleDurationSeconds: number;
  readonly actionsTotal: Readonly<Record<string, number>>;
  readonly actionFailuresTotal: Readonly<Record<string, number>>;
  readonly cycleDurationBuckets: readonly { readonly le: number; readonly count: number }[];
}

/** Upper bounds of the cycle-duration histogram, seconds: a healthy cycle is tens of ms; retry_timeout is seconds. */
const CYCLE_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

export class CycleMetrics {
  private cycles = 0;
  private durationTotalSeconds = 0;
  private lastDurationSeconds = 0;
  private readonly actions: Record<string, number> = {};
  private readonly failures: Record<string, number> = {};
  private readonly buckets = CYCLE_BUCKETS_SECONDS.map(() => 0);

  countCycle(durationMs: number): void {
    this.cycles += 1;
    this.lastDurationSeconds = durationMs / 1000;
    this.durationTotalSeconds += durationMs / 1000;
    CYCLE_BUCKETS_SECONDS.forEach((le, index) => {
      if (durationMs / 1000 <= le) this.buckets[index] = (this.buckets[index] ?? 0) + 1;
    });
  }

  countAction(type: string, ok: boolean): void {
    this.actions[type] = (this.actions[type] ?? 0) + 1;
    if (!ok) this.failures[type] = (this.failures[type] ?? 0) + 1;
  }

  view(): CycleMetricsView {
    return {
      cyclesTotal: this.cycles,
      cycleDurationSecondsTotal: this.durationTotalSeconds,
      lastCycleDurationSeconds: this.lastDurationSeconds,
      actionsTotal: { ...this.actions },
      actionFailuresTotal: { ...this.failures },
      cycleDurationBuckets: CYCLE_BUCKETS_SECONDS.map((le, index) => ({ le, count: this.buckets[index] ?? 0 })),
    };
  }
}
