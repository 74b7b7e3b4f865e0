/**
 * `npm run sim -- --seed N` replays one seed with its full trace;
 * `npm run sim -- --seeds 1000 --steps 20000` runs many and prints a summary;
 * `--sync quorum` (or on/off) pins synchronous_mode, `--sync-count N` synchronous_node_count;
 * `--faults a,b`, `--fault-rate p` and `--members N` pin the fault mix and the cluster size;
 * `--profile fast` runs the fast timing profile (ttl 5, loop_wait 1, retry_timeout 1).
 * Exit code 1 when any invariant was violated.
 */
import { FAULT_KINDS, type FaultKind } from './faults.js';
import { FAST_PROFILE_SETTINGS, runSimulation, type SimOptions, type SimResult } from './simulation.js';
import { replayCommand, summarize, formatSummary } from './summary.js';

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}

function printViolation(result: SimResult, steps: number): void {
  const violation = result.violation;
  if (violation === undefined) return;
  process.stdout.write(`\nVIOLATION of ${violation.invariant} — seed ${violation.seed}, step ${violation.step}: ${violation.detail}\n`);
  process.stdout.write(`replay: ${replayCommand(process.argv.slice(2), violation.seed, steps)}\n--- last events ---\n${violation.trace.join('\n')}\n`);
}

/** `--faults a,b` only these fault kinds, `--fault-rate p` per step, `--members N`. */
function runOverride(): Pick<SimOptions, 'faultKinds' | 'faultProbability' | 'memberCount'> {
  const faults = argument('faults');
  const rate = argument('fault-rate');
  const members = argument('members');
  const unknown = faults?.split(',').filter((kind) => !(FAULT_KINDS as readonly string[]).includes(kind)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown fault kind ${unknown.join(', ')}; known: ${FAULT_KINDS.join(', ')}`);
  return {
    ...(faults === undefined ? {} : { faultKinds: faults.split(',') as FaultKind[] }),
    ...(rate === undefined ? {} : { faultProbability: Number(rate) }),
    ...(members === undefined ? {} : { memberCount: Number(members) }),
  };
}

/** `--sync quorum|on|off` pins synchronous_mode for every seed (`--sync-count N` its node count); `--profile fast`. */
function settingsOverride(): SimOptions['settings'] {
  const sync = argument('sync');
  const count = argument('sync-count');
  const mode = sync === undefined ? undefined : sync === 'quorum' ? 'quorum' : sync === 'on' || sync === 'true';
  const profile = argument('profile');
  if (profile !== undefined && profile !== 'fast') throw new Error(`unknown profile ${profile}; known: fast`);
  return {
    ...(mode === undefined ? {} : { synchronousMode: mode }),
    ...(count === undefined ? {} : { synchronousNodeCount: Number(count) }),
    ...(profile === 'fast' ? FAST_PROFILE_SETTINGS : {}),
  };
}

async function main(): Promise<void> {
  const steps = Number(argument('steps') ?? 20000);
  const settings = settingsOverride();
  const run = runOverride();
  const single = argument('seed');
  if (single !== undefined) {
    const quiet = process.argv.includes('--quiet');
    const result = await runSimulation({ seed: Number(single), steps, settings, ...run, ...(quiet ? {} : { log: (line: string) => process.stdout.write(`${line}\n`) }) });
    printViolation(result, steps);
    process.stdout.write(`${formatSummary(summarize([result]))}\n`);
    process.exitCode = result.violation === undefined ? 0 : 1;
    return;
  }
  const seeds = Number(argument('seeds') ?? 100);
  const first = Number(argument('from') ?? 1);
  const results: SimResult[] = [];
  const started = performance.now();
  for (let seed = first; seed < first + seeds; seed++) {
    const result = await runSimulation({ seed, steps, settings, ...run });
    results.push(result);
    if (result.violation !== undefined) printViolation(result, steps);
    if (seed % 50 === 0) process.stderr.write(`… ${seed - first + 1}/${seeds} seeds, ${Math.round((performance.now() - started) / 1000)} s\n`);
  }
  const seconds = (performance.now() - started) / 1000;
  const summary = summarize(results);
  process.stdout.write(`${formatSummary(summary)}\nwall time: ${Math.round(seconds)} s (${Math.round(summary.steps / seconds)} steps/s)\n`);
  process.exitCode = results.some((result) => result.violation !== undefined) ? 1 : 0;
}

await main();
