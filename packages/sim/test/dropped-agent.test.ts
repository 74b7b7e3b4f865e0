/**
 * A dropped agent process stays dropped. A machine reset (watchdog, crash)
 * drops the agent; a stopped agent (SIGSTOP) that a request had woken just
 * before kept running on the promise chain the wake started, scheduled its
 * next timers as the member's new process, and ran beside the restarted
 * agent: two runtimes driving one PostgreSQL (found in the fast profile,
 * seed 21, as a cluster that never converged).
 */
import { decide, type DecideInput, type HaMemory } from '@pgwarden/core';
import { describe, expect, it } from 'vitest';
import { crashMachine } from '../src/faults.js';
import { runSimulation } from '../src/simulation.js';
import { nowMs, type World } from '../src/world.js';

describe('a dropped agent process', () => {
  it('woken while stopped and then reset with its machine, never decides again beside its successor', async () => {
    let victim: string | undefined;
    let crashedAtMs: number | undefined;
    const cyclesAfterCrash: number[] = [];
    const observe = (input: DecideInput<HaMemory>) => {
      if (crashedAtMs !== undefined && input.self.name === victim) cyclesAfterCrash.push(input.memory.cycles);
      return decide(input);
    };
    const result = await runSimulation({
      seed: 3,
      steps: 1_200,
      faultProbability: 0,
      decide: observe,
      beforeStep: (world: World) => {
        if (world.step === 300) {
          const leader = world.members.find((member) => member.name === world.dcs.leaderName());
          if (leader?.agent === undefined) return;
          victim = leader.name;
          leader.owner.pausedUntilMs = nowMs(world) + 60_000;
        }
        if (world.step === 304) {
          const member = world.members.find((candidate) => candidate.name === victim);
          if (member?.agent === undefined) return;
          // POST /restart reaches the stopped process (its wait ends on the request), then the reset.
          member.agent.runtime.request({ restart: {} });
          crashMachine(world, member, 5_000);
          crashedAtMs = nowMs(world);
        }
      },
    });
    expect(victim).toBeDefined();
    expect(crashedAtMs).toBeDefined();
    expect(result.violation).toBeUndefined();
    // The restarted agent decided (it came back)...
    expect(cyclesAfterCrash.length).toBeGreaterThan(5);
    // ...and only it: one runtime's cycle count only grows; the old one's would interleave.
    for (let index = 1; index < cyclesAfterCrash.length; index++) expect(cyclesAfterCrash[index]!).toBeGreaterThan(cyclesAfterCrash[index - 1]!);
  });
});
