/**
 * The agent process's own health for `/metrics`: memory, CPU, and the
 * event-loop delay — a loop held up (a long synchronous task, a GC pause,
 * a starved CPU) delays the lock renewal as surely as a slow DCS does.
 * The delay is sampled by Node's histogram and reported per window (the
 * last full minute), so that one scrape does not reset what another sees.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { ProcessHealth } from '@pgwarden/rest-api';

const WINDOW_MS = 60_000;

export class ProcessHealthMonitor {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private readonly timer: NodeJS.Timeout;
  private lastWindow: { maxSeconds: number; p99Seconds: number } | undefined;

  constructor() {
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.lastWindow = this.current();
      this.histogram.reset();
    }, WINDOW_MS);
    this.timer.unref();
  }

  private current(): { maxSeconds: number; p99Seconds: number } {
    // Nanoseconds; an empty histogram reports a huge minimum and max 0.
    return { maxSeconds: this.histogram.max / 1e9, p99Seconds: this.histogram.percentile(99) / 1e9 };
  }

  read(): ProcessHealth {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const window = this.lastWindow ?? this.current();
    return {
      residentMemoryBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      cpuSecondsTotal: (cpu.user + cpu.system) / 1e6,
      eventLoopDelayMaxSeconds: window.maxSeconds,
      eventLoopDelayP99Seconds: window.p99Seconds,
    };
  }

  close(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
