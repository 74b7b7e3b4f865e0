import { describe, expect, it } from 'vitest';
import { ProcessHealthMonitor } from '../../src/process-health.js';

describe('ProcessHealthMonitor', () => {
  it('reports this process: memory, CPU, and how late its one-second tick fired (a held-up loop)', () => {
    let now = 0;
    const monitor = new ProcessHealthMonitor(() => now);
    now = 1000;
    monitor.tick(); // on time
    now = 2350;
    monitor.tick(); // 350 ms late: the loop was held up
    now = 3350;
    monitor.tick();
    const health = monitor.read();
    monitor.close();
    expect(health.residentMemoryBytes).toBeGreaterThan(10_000_000);
    expect(health.heapUsedBytes).toBeGreaterThan(0);
    expect(health.cpuSecondsTotal).toBeGreaterThan(0);
    expect(health.eventLoopDelayMaxSeconds).toBeCloseTo(0.35, 5);
    expect(health.eventLoopDelayP99Seconds).toBeCloseTo(0.35, 5);
  });
});
