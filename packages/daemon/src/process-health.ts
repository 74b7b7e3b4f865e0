/**
 * The agent process's own health for `/metrics`: memory, CPU, and the
 * event-loop delay — a loop held up (a long synchronous task, a GC pause,
 * a starved CPU) delays the lock renewal as surely as a slow DCS does.
 *
 * The delay is how late the runtime's own timers fire: the wait for the
 * next cycle (the renewal), the lock-validity deadline, the budgets of DCS
 * and PostgreSQL requests. `timedClock()` wraps the clock the runtime waits
 * with, so the probe measures exactly the waits that decide whether a
 * renewal or a demotion is on time, and adds no wake-up of its own: a
 * timer of its own (once a second) cost an idle agent about a third of its
 * CPU on a virtual machine, where each wake-up of a process is dear. A
 * timer cancelled before it fires (a cycle woken early by the DCS watch)
 * is not a sample. The figures are per window (the last full minute), so
 * that one scrape does not reset what another sees.
 */
import type { ProcessHealth } from '@pgwarden/rest-api';
import type { Clock } from './ports.js';

const WINDOW_MS = 60_000;

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? 0;
}

export class ProcessHealthMonitor {
  private windowStartMs: number;
  private current: number[] = [];
  private lastWindow: readonly number[] = [];

  constructor(private readonly nowMs: () => number = () => performance.now()) {
    this.windowStartMs = this.nowMs();
  }

  /** `clock` with each timer's lateness recorded here: the clock to give the runtime. */
  timedClock(clock: Clock): Clock {
    return {
      nowMs: () => clock.nowMs(),
      wallMs: () => clock.wallMs(),
      setTimer: (callback, delayMs) => {
        const dueMs = this.nowMs() + Math.max(0, delayMs);
        return clock.setTimer(() => {
          this.record(this.nowMs() - dueMs);
          callback();
        }, delayMs);
      },
    };
  }

  /** One timer fired `lateMs` after it was due. */
  record(lateMs: number): void {
    this.rotate();
    this.current.push(Math.max(0, lateMs));
  }

  read(): ProcessHealth {
    this.rotate();
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

  /** A window that has ended becomes the one reported (a window without timers reports nothing late). */
  private rotate(): void {
    const now = this.nowMs();
    if (now - this.windowStartMs < WINDOW_MS) return;
    this.lastWindow = now - this.windowStartMs < 2 * WINDOW_MS ? this.current : [];
    this.current = [];
    this.windowStartMs = now;
  }
}
