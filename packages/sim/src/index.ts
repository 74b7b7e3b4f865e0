/** The deterministic HA simulator: the real AgentRuntime on model ports in virtual time (see the README). */
export { runSimulation, type SimOptions, type SimResult } from './simulation.js';
export { summarize, formatSummary, type SimSummary } from './summary.js';
export { mutants, type Mutant } from './mutants.js';
export { FAULT_KINDS, OPT_IN_FAULT_KINDS, type FaultKind } from './faults.js';
