/** Shared by the simulation tests: run seeds until the first violation. */
import { runSimulation, type SimOptions } from '../src/simulation.js';

export const STEPS = 3000;

export async function firstViolation(options: Omit<SimOptions, 'seed'>, seeds: number): Promise<{ seed: number; invariant: string; detail: string } | undefined> {
  for (let seed = 1; seed <= seeds; seed++) {
    const result = await runSimulation({ ...options, seed });
    if (result.violation !== undefined) return { seed, invariant: result.violation.invariant, detail: result.violation.detail };
  }
  return undefined;
}

/** Quorum commit under churn: stalled standbys and crashed machines, three members (mutants are caught on it). */
export const quorumChurn: Omit<SimOptions, 'seed' | 'steps'> = {
  settings: { synchronousMode: 'quorum' },
  faultKinds: ['replica-stall', 'member-crash'],
  faultProbability: 0.05,
  memberCount: 3,
};

/** Priority synchronous mode under churn: a standby named in place of a stalled or partitioned one. */
export const priorityChurn: Omit<SimOptions, 'seed' | 'steps'> = {
  settings: { synchronousMode: true },
  faultKinds: ['replica-stall', 'member-crash', 'member-partition', 'switchover'],
  faultProbability: 0.05,
  memberCount: 3,
};
