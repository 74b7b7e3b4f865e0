/**
 * The wake-up check itself: late is late against decide()'s wake-up, or
 * against the end of the cycle that asked for it when that cycle ran longer.
 */
import { describe, expect, it } from 'vitest';
import { checkCycleStart } from '../src/checks.js';
import { Scheduler } from '../src/scheduler.js';
import type { AgentProcess, SimMember, World } from '../src/world.js';

function fixture(): { world: World; member: SimMember; agent: AgentProcess } {
  const agent = { lastMessage: '' } as AgentProcess;
  const member = { name: 'node1', agent } as unknown as SimMember;
  const world = { scheduler: new Scheduler(0), violations: [], trace: [], step: 0, seed: 1 } as unknown as World;
  return { world, member, agent };
}

/** The invariants checkCycleStart reports for a cycle starting at `startMs` after decide() asked for `dueMs` and the asking cycle ended at `endedMs`. */
async function reported(dueMs: number, endedMs: number, startMs: number): Promise<string[]> {
  const { world, member, agent } = fixture();
  agent.wakeDueAtMs = dueMs;
  agent.cycleEndedAtMs = endedMs;
  await world.scheduler.runUntil(startMs);
  checkCycleStart(world, member);
  return world.violations.map((violation) => violation.invariant);
}

describe('checkCycleStart', () => {
  it('reports a cycle that starts later than decide()’s wake-up after a short cycle', async () => {
    expect(await reported(1_000, 100, 1_200)).toEqual(['wake-up-missed']);
  });

  it('accepts a cycle that starts as soon as the previous one, which outran the wake-up, ended', async () => {
    expect(await reported(1_000, 5_000, 5_010)).toEqual([]);
  });

  it('still reports one that waits after such a long cycle', async () => {
    expect(await reported(1_000, 5_000, 5_400)).toEqual(['wake-up-missed']);
  });
});
