/**
 * The simulated world: members (machine, agent process, PostgreSQL), the
 * model DCS, the network, the client, virtual time and the record of what
 * happened. The step loop lives in simulation.ts; each member's agent is the
 * real AgentRuntime (host.ts), driven through model ports.
 */
import type { DecideInput, DecideResult, HaMemory, HaSettings, SyncState } from '@pgwarden/core';
import type { AgentRuntime, Clock } from '@pgwarden/daemon';
import { ModelDcs } from './model-dcs.js';
import type { PgState } from './model-postgres.js';
import { Prng } from './prng.js';
import { Scheduler, type EventOwner } from './scheduler.js';
import type { Wal } from './wal.js';

export type DecideFn = (input: DecideInput<HaMemory>) => DecideResult<HaMemory>;

/** How an unreachable link fails: at once (refused, server down) or by hanging until the caller's deadline. */
export type LinkFailure = 'refused' | 'black-hole';

export interface Cut {
  readonly untilMs: number;
  readonly failure: LinkFailure;
}

/** One agent process: the runtime and what the sim keeps beside it. */
export interface AgentProcess {
  readonly runtime: AgentRuntime<HaMemory>;
  readonly clock: Clock;
  lastMessage: string;
  /** The last decision marked our history diverged and unrepaired (the REST API's replica checks fail). */
  lastDiverged?: boolean;
  /** `/sync` and the `/failover` candidate (truth) when this agent last decided (invariant checks). */
  syncAtDecide?: { leader: string | null; standbys: readonly string[]; quorum?: number };
  candidateAtDecide?: string;
  /** Virtual time by which the next cycle must start: decide()'s last `wakeUpAtMs` (the runtime protocol). */
  wakeDueAtMs?: number;
  /** Virtual time at which the last cycle that ran to its end published its snapshot. */
  cycleEndedAtMs?: number;
}

export interface SimMember {
  readonly name: string;
  readonly host: string;
  readonly apiUrl: string;
  readonly tags: Record<string, unknown>;
  /** Replication catch-up probability per step (a slow replica lags). */
  readonly catchUp: number;
  /** Event owner: epoch (bumped when the agent is dropped) and SIGSTOP state. */
  readonly owner: EventOwner;
  /** This machine's monotonic clock origin (differs per member; never moves). */
  readonly monotonicOffsetMs: number;
  pg: PgState;
  /** Bumped by every operation that changes the postmaster: a long operation begun earlier then completes without effect. */
  pgGeneration: number;
  /** The agent's file of member names beside the data directory: kept through agent and machine restarts and re-clones. */
  knownMembers?: readonly string[];
  agent?: AgentProcess;
  /** The machine is down until then (crash, watchdog reset). */
  restartAtMs?: number;
  /** The agent process exited; it is started again at this time. */
  agentRestartAtMs?: number;
  wallOffsetMs: number;
  slowUntilMs?: number;
  watchdogDeadlineMs?: number;
  /** Streaming from its upstream at the last replication tick. */
  streaming: boolean;
  /** Its WAL receiver stalls until then (replica-stall fault): connected, receiving nothing. */
  stalledUntilMs?: number;
  /** Its next clean stop as a primary escalates (stuck-shutdown fault). */
  stuckShutdown?: boolean;
  /**
   * The highest `/status` optime it published with the leader key at this
   * version (the final-position check): a new version (an acquisition, a
   * hand-over, a new lease) starts a new tenure.
   */
  tenureOptime?: { readonly version: number; readonly lsn: number };
}

export interface SimStats {
  steps: number;
  faults: Record<string, number>;
  promotions: number;
  failovers: number;
  switchovers: number;
  demotions: number;
  cycles: number;
  writesAcknowledged: number;
  writesSyncConfirmed: number;
  /** `/sync` keys written in quorum mode that name voters (quorum mode is not vacuous). */
  quorumKeysWithVoters: number;
  divergedFollowSteps: number;
  /** Of those, steps of a member whose agent did not mark itself diverged: served as an ordinary replica. */
  divergedFollowUnmarkedSteps: number;
  /**
   * Promotions that took a timeline number another promotion had already
   * taken while some data directory still held WAL of that other one: two
   * histories under one timeline.
   */
  timelinesReused: number;
  /** The same, with no WAL of the earlier promotion left anywhere (rewound or rebuilt away): nothing to mistake it for. */
  timelinesReusedUnheld: number;
  leaderlessSteps: number;
  /** 1 when, after a quiet tail without new faults, one writable primary holds the leader key. */
  endedHealthy: number;
  /** 1 when the run had a quiet tail long enough to judge convergence. */
  judgedConvergence: number;
  /** Scheduler events run (timers, port answers). */
  events: number;
}

export interface Violation {
  readonly seed: number;
  readonly step: number;
  readonly invariant: string;
  readonly detail: string;
  readonly trace: readonly string[];
}

export interface SimScenario {
  readonly memberCount: number;
  readonly settings: HaSettings;
}

/** How the runtime under test is built (mutants of the runtime change these). */
export interface RuntimeVariant {
  /** Give the runtime this clock instead of the member's (e.g. a wall clock as its monotonic clock). */
  readonly clock?: (memberClock: Clock) => Clock;
  readonly preemptForDemotion?: boolean;
  readonly fenceWritable?: boolean;
  readonly refuseStaleRace?: boolean;
  /** What the runtime gets of decide()'s result (the checks see the whole result first). */
  readonly seenByRuntime?: (result: DecideResult<HaMemory>) => DecideResult<HaMemory>;
  /** PostgreSQL reads as cleanly shut down whenever a primary's postmaster is down, whatever the stop was. */
  readonly pretendCleanShutdown?: boolean;
}

export interface World {
  readonly seed: number;
  readonly rng: Prng;
  readonly decide: DecideFn;
  readonly variant: RuntimeVariant;
  readonly scenario: SimScenario;
  readonly dcs: ModelDcs;
  readonly scheduler: Scheduler;
  readonly members: SimMember[];
  step: number;
  stepMs: number;
  nextSegmentId: number;
  /** Timelines promotions created so far: by whom, and the WAL segment each opened (a reused number has several). */
  readonly promotedTimelines: Map<number, Array<{ readonly member: string; readonly segmentId: number }>>;
  /** Members that cannot reach the DCS. */
  dcsCut: Map<string, Cut>;
  dcsDown?: Cut;
  /** "a|b" (sorted) → cut. */
  netCut: Map<string, Cut>;
  pausedUntilMs?: number;
  /** The operator asked for a switchover that has not produced a promotion yet. */
  switchoverPending?: boolean;
  lastConfirmedWrite?: Wal;
  trace: string[];
  stats: SimStats;
  violations: Violation[];
  log?: (line: string) => void;
}

export const EPOCH_MS = 1_750_000_000_000;

export function newStats(): SimStats {
  return {
    steps: 0,
    faults: {},
    promotions: 0,
    failovers: 0,
    switchovers: 0,
    demotions: 0,
    cycles: 0,
    writesAcknowledged: 0,
    writesSyncConfirmed: 0,
    quorumKeysWithVoters: 0,
    divergedFollowSteps: 0,
    divergedFollowUnmarkedSteps: 0,
    timelinesReused: 0,
    timelinesReusedUnheld: 0,
    leaderlessSteps: 0,
    endedHealthy: 0,
    judgedConvergence: 0,
    events: 0,
  };
}

export function newWorld(seed: number, decide: DecideFn, variant: RuntimeVariant, scenario: SimScenario, members: SimMember[], rng: Prng): World {
  const scheduler = new Scheduler(EPOCH_MS);
  return {
    seed,
    rng,
    decide,
    variant,
    scenario,
    dcs: new ModelDcs(scenario.settings.ttlSeconds * 1000, () => scheduler.nowMs),
    scheduler,
    members,
    step: 0,
    stepMs: 250,
    nextSegmentId: 1,
    promotedTimelines: new Map(),
    dcsCut: new Map(),
    netCut: new Map(),
    trace: [],
    stats: newStats(),
    violations: [],
  };
}

const TRACE_LENGTH = 80;

export function nowMs(world: World): number {
  return world.scheduler.nowMs;
}

export function record(world: World, line: string): void {
  const stamped = `[${((nowMs(world) - EPOCH_MS) / 1000).toFixed(3).padStart(9)}s #${world.step}] ${line}`;
  world.trace.push(stamped);
  if (world.trace.length > TRACE_LENGTH) world.trace.shift();
  world.log?.(stamped);
}

export function violate(world: World, invariant: string, detail: string): void {
  record(world, `VIOLATION ${invariant}: ${detail}`);
  world.violations.push({ seed: world.seed, step: world.step, invariant, detail, trace: [...world.trace] });
}

export function memberByName(world: World, name: string | undefined): SimMember | undefined {
  return world.members.find((member) => member.name === name);
}

/**
 * The event owner of one agent process of `member`: the member's own (its
 * epoch, its SIGSTOP), and gone once that process is dropped. Without it a
 * dropped process whose promise chain went on (a model PostgreSQL answer, a
 * closed DCS port's refusal) scheduled its next timers on the member's new
 * epoch and ran beside its successor: two runtimes driving one PostgreSQL
 * after a machine reset of a stopped agent (fast profile, seed 21).
 */
export function processOwner(member: SimMember): EventOwner {
  const born = member.owner.epoch;
  return {
    name: member.name,
    get epoch() {
      return member.owner.epoch;
    },
    set epoch(value: number) {
      member.owner.epoch = value;
    },
    get pausedUntilMs() {
      return member.owner.pausedUntilMs;
    },
    get gone() {
      return member.owner.epoch !== born;
    },
  };
}

export function machineUp(member: SimMember): boolean {
  return member.restartAtMs === undefined;
}

/** The agent process runs and is not stopped (SIGSTOP). */
export function agentResponsive(world: World, member: SimMember): boolean {
  if (!machineUp(member) || member.agent === undefined) return false;
  const paused = member.owner.pausedUntilMs;
  return paused === undefined || paused <= nowMs(world);
}

function activeCut(cut: Cut | undefined, atMs: number): Cut | undefined {
  return cut !== undefined && cut.untilMs > atMs ? cut : undefined;
}

/** Why `member` cannot reach the DCS now, or undefined when it can. */
export function dcsCutFor(world: World, member: SimMember): Cut | undefined {
  const atMs = nowMs(world);
  return activeCut(world.dcsDown, atMs) ?? activeCut(world.dcsCut.get(member.name), atMs);
}

export function reachesDcs(world: World, member: SimMember): boolean {
  return dcsCutFor(world, member) === undefined;
}

export function netCutBetween(world: World, a: string, b: string): Cut | undefined {
  return activeCut(world.netCut.get([a, b].sort().join('|')), nowMs(world));
}

export function linked(world: World, a: string, b: string): boolean {
  return netCutBetween(world, a, b) === undefined;
}

export function durationWithSlowness(world: World, member: SimMember, [low, high]: readonly [number, number]): number {
  const slow = member.slowUntilMs !== undefined && member.slowUntilMs > nowMs(world) ? 6 : 1;
  return world.rng.int(low, high) * slow;
}

export type { SyncState };
