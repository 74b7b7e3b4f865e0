/**
 * The agent process's own health for `/metrics`: memory, CPU, and the
 * event-loop delay — a loop held up (a long synchronous task, a GC pause,
 * a starved CPU) delays the lock renewal as surely as a slow DCS does.
 *
 * The delay is measured by one timer a second (how late it fires), not by
 * Node's sampling histogram: that one wakes the process every few
 * milliseconds, which is most of an idle agent's CPU. Renewal-relevant
 * delays are hundreds of milliseconds; a one-second tick sees them. The
 * figures are per window (the last full minute), so that one scrape does
 * not reset what another sees.
 */
import type { ProcessHealth } from '@pgwarden/rest-api';

const TICK_MS = 1000;
const WINDOW_TICKS = 60;

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? 0;
}

export class ProcessHealthMonitor {
  private readonly timer: NodeJS.Timeout;
  private expectedAtMs: number;
  private current: number[] = [];
  private lastWindow: readonly number[] = [];

  constructor(private readonly nowMs: () => number = () => performance.now()) {
    this.expectedAtMs = this.nowMs() + TICK_MS;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Public for tests: one tick of the delay probe. */
  tick(): void {
    const now = this.nowMs();
    this.current.push(Math.max(0, now - this.expectedAtMs));
    this.expectedAtMs = now + TICK_MS;
    if (this.current.length >= WINDOW_TICKS) {
      this.lastWindow = this.current;
      this.current = [];
    }
  }

  read(): ProcessHealth {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const samples = [...(this.lastWindow.length > 0 ? this.lastWindow : this.current)].sort((a, b) => a - b);
    return {
      residentMemoryBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      cpuSecondsTotal: (cpu.user + cpu.system) / 1e6,
      eventLoopDelayMaxSeconds: (samples.at(-1) ?? 0) / 1000,
      eventLoopDelayP99Seconds: percentile(samples, 0.99) / 1000,
    };
  }

  close(): void {
    clearInterval(this.timer);
  }
}
