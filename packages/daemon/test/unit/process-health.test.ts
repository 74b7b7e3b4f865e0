import { describe, expect, it } from 'vitest';
import { ProcessHealthMonitor } from '../../src/process-health.js';

describe('ProcessHealthMonitor', () => {
  it('reports this process: memory, CPU, and an event-loop delay that a blocked loop raises', async () => {
    const monitor = new ProcessHealthMonitor();
    const busyUntil = Date.now() + 120;
    await new Promise((resolve) => setTimeout(resolve, 30));
    while (Date.now() < busyUntil) {
      // hold the loop, as a long synchronous task would
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const health = monitor.read();
    monitor.close();
    expect(health.residentMemoryBytes).toBeGreaterThan(10_000_000);
    expect(health.heapUsedBytes).toBeGreaterThan(0);
    expect(health.cpuSecondsTotal).toBeGreaterThan(0);
    expect(health.eventLoopDelayMaxSeconds).toBeGreaterThan(0.05);
    expect(health.eventLoopDelayP99Seconds).toBeLessThanOrEqual(health.eventLoopDelayMaxSeconds);
  });
});
