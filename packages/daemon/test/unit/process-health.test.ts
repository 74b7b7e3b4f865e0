import { describe, expect, it } from 'vitest';
import { ProcessHealthMonitor } from '../../src/process-health.js';
import type { Clock } from '../../src/ports.js';

/** A clock whose timers fire when the test says, at the time the test sets. */
function manualClock(time: { now: number }): Clock & { fireAll(): void } {
  let timers: Array<() => void> = [];
  return {
    nowMs: () => time.now,
    wallMs: () => time.now,
    setTimer(callback) {
      timers.push(callback);
      return () => {
        timers = timers.filter((timer) => timer !== callback);
      };
    },
    fireAll() {
      const due = timers;
      timers = [];
      for (const timer of due) timer();
    },
  };
}

describe('ProcessHealthMonitor', () => {
  it('reports this process: memory, CPU, and how late the runtime\'s timers fired (a held-up loop)', () => {
    const time = { now: 0 };
    const monitor = new ProcessHealthMonitor(() => time.now);
    const inner = manualClock(time);
    const clock = monitor.timedClock(inner);
    const fired: number[] = [];
    clock.setTimer(() => fired.push(time.now), 1000);
    time.now = 1000;
    inner.fireAll(); // on time
    clock.setTimer(() => fired.push(time.now), 1000);
    time.now = 2350;
    inner.fireAll(); // 350 ms late: the loop was held up
    const cancel = clock.setTimer(() => fired.push(time.now), 10);
    cancel(); // a cancelled timer is no sample
    time.now = 9000;
    inner.fireAll();
    const health = monitor.read();
    expect(fired).toEqual([1000, 2350]);
    expect(health.residentMemoryBytes).toBeGreaterThan(10_000_000);
    expect(health.heapUsedBytes).toBeGreaterThan(0);
    expect(health.cpuSecondsTotal).toBeGreaterThan(0);
    expect(health.eventLoopDelayMaxSeconds).toBeCloseTo(0.35, 5);
    expect(health.eventLoopDelayP99Seconds).toBeCloseTo(0.35, 5);
  });

  it('reports the last full minute once it ended, and nothing late for a minute without timers', () => {
    const time = { now: 0 };
    const monitor = new ProcessHealthMonitor(() => time.now);
    monitor.record(500);
    time.now = 30_000;
    monitor.record(20);
    time.now = 61_000; // the first minute ended: its figures stay while the next one fills
    monitor.record(5);
    expect(monitor.read().eventLoopDelayMaxSeconds).toBeCloseTo(0.5, 5);
    time.now = 122_000;
    expect(monitor.read().eventLoopDelayMaxSeconds).toBeCloseTo(0.005, 5);
    time.now = 300_000; // minutes without a timer: nothing was late
    expect(monitor.read().eventLoopDelayMaxSeconds).toBe(0);
  });
});
