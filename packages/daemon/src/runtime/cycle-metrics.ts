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
}

export class CycleMetrics {
  private cycles = 0;
  private durationTotalSeconds = 0;
  private lastDurationSeconds = 0;
  private readonly actions: Record<string, number> = {};
  private readonly failures: Record<string, number> = {};

  countCycle(durationMs: number): void {
    this.cycles += 1;
    this.lastDurationSeconds = durationMs / 1000;
    this.durationTotalSeconds += durationMs / 1000;
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
    };
  }
}
