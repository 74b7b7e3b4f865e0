/**
 * The deterministic simulation: a seed picks the scenario (3-5 members,
 * timings, synchronous mode, failsafe, tags); every member runs the real
 * AgentRuntime (host.ts) on model ports in virtual time. Each 250 ms step
 * runs the events due (timers, DCS and PostgreSQL answers, peers), expires
 * leases, injects faults, fires watchdogs, streams WAL, lets the client
 * write, and checks the invariants of DESIGN.md (two writable primaries is
 * also checked after every event). A violation stops the run with the
 * seed, the step and the trace; the same seed replays it exactly.
 */
import { guaranteeOfSetting, decide as realDecide } from '@pgwarden/core';
import type { HaSettings } from '@pgwarden/core';
import { checkSinglePrimary } from './checks.js';
import { dropAgent } from './host.js';
import { countFault, crashMachine, injectFaults, settleFaults, type FaultKind } from './faults.js';
import { emptyPg, isNamedSync, isWritablePrimary, receiveWal } from './model-postgres.js';
import { Prng } from './prng.js';
import { extend, isPrefixOf } from './wal.js';
import type { DecideFn, RuntimeVariant, SimMember, SimScenario, SimStats, Violation, World } from './world.js';
export type { World } from './world.js';
import { EPOCH_MS, linked, machineUp, memberByName, newWorld, nowMs, record } from './world.js';

export interface SimOptions {
  readonly seed: number;
  readonly steps: number;
  /** The decide() under test (default: the real one). */
  readonly decide?: DecideFn;
  /** How the runtime is built (default: as the agent builds it); mutants of the runtime change it. */
  readonly variant?: RuntimeVariant;
  /** Probability of a fault per 250 ms step (default 1/200). */
  readonly faultProbability?: number;
  /** Print every trace line as it happens. */
  readonly log?: (line: string) => void;
  /** Force scenario settings (tests of one mode). */
  readonly settings?: Partial<HaSettings>;
  readonly memberCount?: number;
  /** Scripted scenarios: called before every step with the world (tests of one incident). */
  readonly beforeStep?: (world: World) => void;
  /** Only these faults (default: all). */
  readonly faultKinds?: readonly FaultKind[];
}

/** The fast timing profile (core's fast-profile.ts): ttl 5, loop_wait 1, retry_timeout 1, default safety_margin (→ 2.5 s). */
export const FAST_PROFILE_SETTINGS = { ttlSeconds: 5, loopWaitSeconds: 1, retryTimeoutSeconds: 1, safetyMarginSeconds: 5 } as const;

export interface SimResult {
  readonly seed: number;
  readonly steps: number;
  readonly scenario: SimScenario;
  readonly stats: SimStats;
  readonly violation?: Violation;
}

function pickScenario(rng: Prng, options: SimOptions): SimScenario {
  const shortTtl = rng.chance(0.5);
  const ttlSeconds = shortTtl ? 20 : 30;
  const retryTimeoutSeconds = shortTtl ? 5 : 10;
  const loopWaitSeconds = shortTtl ? rng.int(2, 5) : rng.int(3, 10);
  const synchronous = rng.chance(0.35);
  // Quorum commit in half the synchronous scenarios, `ANY 1` to `ANY 3`.
  const quorum = synchronous && rng.chance(0.5);
  const settings: HaSettings = {
    ttlSeconds,
    loopWaitSeconds,
    retryTimeoutSeconds,
    maximumLagOnFailoverBytes: 1048576,
    primaryStartTimeoutSeconds: 300,
    primaryStopTimeoutSeconds: 0,
    synchronousMode: quorum ? 'quorum' : synchronous,
    synchronousModeStrict: synchronous && rng.chance(0.5),
    synchronousNodeCount: quorum ? rng.int(1, 3) : 1,
    failsafeMode: rng.chance(0.3),
    checkTimeline: false,
    paused: false,
    usePgRewind: true,
    removeDataDirectoryOnRewindFailure: false,
    removeDataDirectoryOnDivergedTimelines: rng.chance(0.5),
    canBootstrap: true,
    replicaMethodWithoutLeader: false,
    watchdogMode: 'automatic',
    preferLastLeaderAfterDcsOutage: rng.chance(0.3),
    safetyMarginSeconds: 5,
    ...options.settings,
  };
  return { memberCount: options.memberCount ?? rng.int(3, 5), settings };
}

function makeMembers(rng: Prng, count: number): SimMember[] {
  const members: SimMember[] = [];
  for (let index = 1; index <= count; index++) {
    const tags: Record<string, unknown> = {};
    if (index === count && count > 3 && rng.chance(0.3)) tags['nofailover'] = true;
    if (rng.chance(0.2)) tags['failover_priority'] = rng.int(1, 3);
    members.push({
      name: `node${index}`,
      host: `10.0.0.${index}:5432`,
      apiUrl: `http://10.0.0.${index}:8008/patroni`,
      tags,
      catchUp: rng.chance(0.2) ? 0.05 : 0.6,
      owner: { name: `node${index}`, epoch: 0 },
      // Monotonic clocks have their own origin per machine: comparing two members' readings is meaningless.
      monotonicOffsetMs: rng.int(-3_600_000, 3_600_000),
      pg: emptyPg(),
      pgGeneration: 0,
      agentRestartAtMs: EPOCH_MS + rng.int(0, 3000),
      wallOffsetMs: 0,
      streaming: false,
    });
  }
  return members;
}

function stalled(world: World, member: SimMember): boolean {
  return member.stalledUntilMs !== undefined && member.stalledUntilMs > nowMs(world);
}

function replicate(world: World): void {
  for (const member of world.members) {
    member.streaming = false;
    const pg = member.pg;
    if (!machineUp(member) || !pg.running || !pg.inRecovery || pg.follow === undefined) continue;
    const source = memberByName(world, pg.follow);
    if (source === undefined || !machineUp(source) || !source.pg.running || !linked(world, member.name, source.name)) continue;
    if (!isPrefixOf(pg.wal, source.pg.wal)) {
      // Ahead of an upstream replica on the same history: waiting for it, not diverged.
      const waiting = source.pg.inRecovery && isPrefixOf(source.pg.wal, pg.wal);
      if (!waiting) world.stats.divergedFollowSteps += 1;
      if (!waiting && member.agent?.lastDiverged !== true) world.stats.divergedFollowUnmarkedSteps += 1;
      continue;
    }
    member.streaming = true;
    if (stalled(world, member)) continue;
    if (world.rng.chance(member.catchUp)) receiveWal(pg, source.pg);
  }
}

/**
 * One client commit on the writable primary, acknowledged as PostgreSQL
 * would: asynchronously with no synchronous_standby_names; otherwise once
 * enough of the standbys it names (streaming from it, reachable) hold it —
 * every such standby in priority mode, any `n` of them (chosen at random,
 * the others catch up later) under `ANY n`. Without enough of them the
 * commit waits: written, never acknowledged.
 */
function clientWrite(world: World): void {
  if (!world.rng.chance(0.5)) return;
  const primary = world.members.find((member) => machineUp(member) && isWritablePrimary(member.pg));
  if (primary === undefined) return;
  const bytes = world.rng.chance(0.01) ? world.rng.int(1_000_000, 3_000_000) : world.rng.int(100, 20_000);
  const connected = world.members.filter(
    (other) => other.streaming && other.pg.follow === primary.name && machineUp(other) && linked(world, other.name, primary.name) && isNamedSync(primary.pg, other.name),
  );
  primary.pg.wal = extend(primary.pg.wal, bytes);
  const setting = primary.pg.synchronousStandbyNames.trim();
  if (setting === '') {
    world.stats.writesAcknowledged += 1;
    return;
  }
  const needed = Math.max(1, guaranteeOfSetting(setting).count);
  const live = connected.filter((standby) => !stalled(world, standby));
  const quorum = /^any\s/i.test(setting);
  // Priority mode waits for every standby it names (pgwarden names exactly as many as it needs).
  if (live.length < needed || (!quorum && live.length < connected.length)) return;
  const receivers = quorum ? world.rng.shuffle(live).slice(0, needed) : live;
  for (const standby of receivers) receiveWal(standby.pg, primary.pg);
  world.stats.writesAcknowledged += 1;
  world.stats.writesSyncConfirmed += 1;
  world.lastConfirmedWrite = primary.pg.wal;
}

function fireWatchdogs(world: World): void {
  for (const member of world.members) {
    const deadline = member.watchdogDeadlineMs;
    if (deadline === undefined || deadline > nowMs(world) || !machineUp(member)) continue;
    record(world, `${member.name}: WATCHDOG fired: machine reset`);
    countFault(world, 'watchdog-reset');
    crashMachine(world, member, world.rng.int(5_000, 30_000));
  }
}

/** The settings a scenario draws (seed 0), as a template of their names and types: the CLI's `--set` checks against it. */
export function scenarioSettingsTemplate(): HaSettings {
  return pickScenario(new Prng(0), { seed: 0, steps: 0 }).settings;
}

export async function runSimulation(options: SimOptions): Promise<SimResult> {
  const rng = new Prng(options.seed);
  const scenario = pickScenario(rng, options);
  const world = newWorld(options.seed, options.decide ?? realDecide, options.variant ?? {}, scenario, makeMembers(rng, scenario.memberCount), rng);
  if (options.log !== undefined) world.log = options.log;
  world.dcs.log = (line) => record(world, line);
  world.scheduler.afterEvent = () => checkSinglePrimary(world, false);
  record(world, `seed ${options.seed}: ${scenario.memberCount} members, ${JSON.stringify(scenario.settings)}`);
  const warmupSteps = 240;
  // No new faults in the tail, so that convergence can be judged at the end (liveness, not safety).
  const quietTailSteps = Math.min(Math.floor(options.steps / 4), 2400);
  for (let step = 0; step < options.steps && world.violations.length === 0; step++) {
    world.step = step;
    await world.scheduler.runUntil(nowMs(world) + world.stepMs);
    if (world.violations.length > 0) break;
    world.dcs.expire(nowMs(world));
    options.beforeStep?.(world);
    settleFaults(world);
    if (step > warmupSteps && step < options.steps - quietTailSteps) injectFaults(world, options.faultProbability ?? 1 / 200, options.faultKinds);
    fireWatchdogs(world);
    replicate(world);
    clientWrite(world);
    checkSinglePrimary(world, true);
    world.stats.steps += 1;
  }
  world.stats.events = world.scheduler.eventsRun;
  if (quietTailSteps >= 1200 && world.violations.length === 0) {
    world.stats.judgedConvergence = 1;
    const leader = memberByName(world, world.dcs.leaderName());
    const writable = world.members.filter((member) => machineUp(member) && isWritablePrimary(member.pg));
    if (leader !== undefined && writable.length === 1 && writable[0] === leader) world.stats.endedHealthy = 1;
    else record(world, `did not converge: leader key ${leader?.name ?? 'absent'}, writable ${writable.map((member) => member.name).join(',') || 'none'}`);
  }
  // The runtimes are dropped with the world: nothing of this run fires again.
  for (const member of world.members) dropAgent(member);
  const violation = world.violations[0];
  return { seed: options.seed, steps: world.stats.steps, scenario, stats: world.stats, ...(violation === undefined ? {} : { violation }) };
}
