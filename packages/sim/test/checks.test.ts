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

describe('checkCycleStart', () => {
  it('reports a cycle that starts later than decide()’s wake-up after a short cycle', async () => {
    const { world, member, agent } = fixture();
    agent.wakeDueAtMs = 1_000;
    agent.cycleEndedAtMs = 100;
    await world.scheduler.runUntil(1_200);
    checkCycleStart(world, member);
    expect(world.violations.map((violation) => violation.invariant)).toEqual(['wake-up-missed']);
  });

  it('accepts a cycle that starts as soon as the previous one, which outran the wake-up, ended', async () => {
    const { world, member, agent } = fixture();
    agent.wakeDueAtMs = 1_000;
    agent.cycleEndedAtMs = 5_000;
    await world.scheduler.runUntil(5_010);
    checkCycleStart(world, member);
    expect(world.violations).toEqual([]);
  });

  it('still reports one that waits after such a long cycle', async () => {
    const { world, member, agent } = fixture();
    agent.wakeDueAtMs = 1_000;
    agent.cycleEndedAtMs = 5_000;
    await world.scheduler.runUntil(5_400);
    checkCycleStart(world, member);
    expect(world.violations.map((violation) => violation.invariant)).toEqual(['wake-up-missed']);
  });
});
