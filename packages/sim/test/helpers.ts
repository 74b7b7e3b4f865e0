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
