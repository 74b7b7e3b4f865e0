/** The run summary: seeds, steps, faults by kind, failovers, switchovers, violations. */
import type { SimResult } from './simulation.js';

export interface SimSummary {
  readonly seeds: number;
  readonly steps: number;
  readonly modelHours: number;
  readonly faults: Record<string, number>;
  readonly promotions: number;
  readonly failovers: number;
  readonly switchovers: number;
  readonly demotions: number;
  readonly cycles: number;
  readonly writesAcknowledged: number;
  readonly writesSyncConfirmed: number;
  readonly violations: number;
  readonly violationsByInvariant: Record<string, number>;
  readonly leaderlessShare: number;
  readonly divergedFollowSteps: number;
  readonly divergedFollowUnmarkedSteps: number;
  readonly timelinesReused: number;
  readonly timelinesReusedUnheld: number;
  /** The seeds with a reuse whose other history was still held, to replay (`--seed N`). */
  readonly timelinesReusedSeeds: readonly number[];
  readonly endedHealthy: number;
  readonly judgedConvergence: number;
}

export function summarize(results: readonly SimResult[]): SimSummary {
  const faults: Record<string, number> = {};
  const violationsByInvariant: Record<string, number> = {};
  let steps = 0;
  let leaderless = 0;
  const total = { endedHealthy: 0, judgedConvergence: 0, divergedFollowSteps: 0, divergedFollowUnmarkedSteps: 0, timelinesReused: 0, timelinesReusedUnheld: 0, promotions: 0, failovers: 0, switchovers: 0, demotions: 0, cycles: 0, writesAcknowledged: 0, writesSyncConfirmed: 0 };
  for (const result of results) {
    steps += result.steps;
    leaderless += result.stats.leaderlessSteps;
    for (const [kind, count] of Object.entries(result.stats.faults)) faults[kind] = (faults[kind] ?? 0) + count;
    for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += result.stats[key];
    if (result.violation !== undefined) violationsByInvariant[result.violation.invariant] = (violationsByInvariant[result.violation.invariant] ?? 0) + 1;
  }
  return {
    seeds: results.length,
    timelinesReusedSeeds: results.filter((result) => result.stats.timelinesReused > 0).map((result) => result.seed),
    steps,
    modelHours: Math.round((steps * 0.25) / 36) / 100,
    faults,
    ...total,
    violations: Object.values(violationsByInvariant).reduce((sum, count) => sum + count, 0),
    violationsByInvariant,
    leaderlessShare: steps === 0 ? 0 : Math.round((leaderless / steps) * 1000) / 10,
  };
}

export function formatSummary(summary: SimSummary): string {
  const faults = Object.entries(summary.faults)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  return [
    `seeds ${summary.seeds}, steps ${summary.steps} (${summary.modelHours} h of model time), agent cycles ${summary.cycles}`,
    `faults: ${faults || 'none'}`,
    `promotions ${summary.promotions} (failovers ${summary.failovers}, switchovers ${summary.switchovers}), demotions ${summary.demotions}`,
    `writes acknowledged ${summary.writesAcknowledged} (synchronously confirmed ${summary.writesSyncConfirmed}); steps without a writable primary ${summary.leaderlessShare}%`,
    `replica-steps spent following a diverged upstream (waiting for rewind): ${summary.divergedFollowSteps}, of which not marked diverged (replica checks passing): ${summary.divergedFollowUnmarkedSteps}`,
    `promotions that reused a timeline another promotion had taken: ${summary.timelinesReused} with WAL of the other still in a data directory${summary.timelinesReusedSeeds.length > 0 ? ` (seeds ${summary.timelinesReusedSeeds.join(', ')})` : ''}, ${summary.timelinesReusedUnheld} with none left`,
    `converged after the quiet tail (one writable primary holding the key): ${summary.endedHealthy}/${summary.judgedConvergence} seeds`,
    `violations ${summary.violations}${summary.violations > 0 ? ` ${JSON.stringify(summary.violationsByInvariant)}` : ''}`,
  ].join('\n');
}

/**
 * The command that replays `seed` as it ran: every option given but the seed
 * selection, and the run's total steps, not the step it stopped at (the
 * quiet tail, and so the trajectory, depend on the total).
 */
export function replayCommand(argv: readonly string[], seed: number, steps: number): string {
  const kept: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index] ?? '';
    const name = word.split('=', 1)[0] ?? '';
    const selection = ['--seeds', '--from', '--seed', '--steps'].includes(name);
    if (selection && name === word) index++;
    else if (!selection && word !== '--quiet') kept.push(word);
  }
  return ['npm run sim --', '--seed', String(seed), '--steps', String(steps), ...kept].join(' ');
}
