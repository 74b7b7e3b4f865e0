/**
 * `npm run sim -- --seed N` replays one seed with its full trace;
 * `npm run sim -- --seeds 1000 --steps 20000` runs many and prints a summary;
 * `--sync quorum` (or on/off) pins synchronous_mode, `--sync-count N` synchronous_node_count;
 * `--faults a,b`, `--fault-rate p` and `--members N` pin the fault mix and the cluster size;
 * `--profile fast` runs the fast timing profile (ttl 5, loop_wait 1, retry_timeout 1);
 * `--help` lists them (cli-args.ts, which refuses anything else).
 * Exit code 1 when any invariant was violated, 2 on a usage error.
 */
import { parseSimArgs, UsageError, USAGE, type SimArgs } from './cli-args.js';
import { runSimulation, type SimResult } from './simulation.js';
import { replayCommand, summarize, formatSummary } from './summary.js';

function printViolation(result: SimResult, steps: number): void {
  const violation = result.violation;
  if (violation === undefined) return;
  process.stdout.write(`\nVIOLATION of ${violation.invariant} — seed ${violation.seed}, step ${violation.step}: ${violation.detail}\n`);
  process.stdout.write(`replay: ${replayCommand(process.argv.slice(2), violation.seed, steps)}\n--- last events ---\n${violation.trace.join('\n')}\n`);
}

async function main(args: SimArgs): Promise<void> {
  const { steps, settings, run } = args;
  if (args.seed !== undefined) {
    const result = await runSimulation({ seed: args.seed, steps, settings, ...run, ...(args.quiet ? {} : { log: (line: string) => process.stdout.write(`${line}\n`) }) });
    printViolation(result, steps);
    process.stdout.write(`${formatSummary(summarize([result]))}\n`);
    process.exitCode = result.violation === undefined ? 0 : 1;
    return;
  }
  const { seeds, from: first } = args;
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

let args: SimArgs | undefined;
try {
  args = parseSimArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`sim: ${error.message} (--help for the options)\n`);
  process.exitCode = 2;
}
if (args?.help === true) process.stdout.write(`${USAGE}\n`);
else if (args !== undefined) await main(args);
