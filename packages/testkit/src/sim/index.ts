/** The deterministic HA simulator (see the testkit README, "Simulator"). */
export { runSimulation, type SimOptions, type SimResult } from './simulation.js';
export { summarize, formatSummary, type SimSummary } from './summary.js';
export { mutants } from './mutants.js';
export { FAULT_KINDS, type FaultKind } from './faults.js';
