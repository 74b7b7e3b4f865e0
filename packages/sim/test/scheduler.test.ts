/**
 * The model scheduler's time: what happens between two steps (a fault that
 * wakes a runtime, say) must play out at the time it happened, however many
 * promise hops it takes, before the scheduler moves time on.
 */
import { describe, expect, it } from 'vitest';
import { Scheduler } from '../src/scheduler.js';

describe('Scheduler', () => {
  it('settles continuations started between steps at the current time, also when no event is due', async () => {
    const scheduler = new Scheduler(1_000);
    let seenAtMs: number | undefined;
    const chain = async (): Promise<void> => {
      // As many hops as a wake takes to end the runtime's wait (signal, race, the awaiting cycle loop, and more).
      for (let hop = 0; hop < 8; hop++) await Promise.resolve();
      seenAtMs = scheduler.nowMs;
    };
    void chain();
    for (let step = 1; step <= 4; step++) await scheduler.runUntil(1_000 + step * 250);
    expect(seenAtMs).toBe(1_000);
  });

  it('runs due events in time order and ends at the step’s end', async () => {
    const scheduler = new Scheduler(0);
    const fired: Array<[string, number]> = [];
    scheduler.at(200, undefined, () => fired.push(['b', scheduler.nowMs]));
    scheduler.at(100, undefined, () => fired.push(['a', scheduler.nowMs]));
    scheduler.at(300, undefined, () => fired.push(['late', scheduler.nowMs]));
    await scheduler.runUntil(250);
    expect(fired).toEqual([
      ['a', 100],
      ['b', 200],
    ]);
    expect(scheduler.nowMs).toBe(250);
  });
});
