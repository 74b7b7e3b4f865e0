/**
 * The simulated world: members (agent + PostgreSQL), the model DCS, the
 * network, the client, and the record of what happened. Plain data with a
 * seeded PRNG; the step loop lives in simulation.ts.
 */
import type { Action, DecideInput, DecideResult, HaMemory, HaSettings, OperatorRequests, RunningAction } from '@pgwarden/core';
import { ModelDcs } from './model-dcs.js';
import type { PgState } from './model-postgres.js';
import { Prng } from './prng.js';
import type { Wal } from './wal.js';

export type DecideFn = (input: DecideInput<HaMemory>) => DecideResult<HaMemory>;

export interface Background {
  readonly first: Action;
  readonly tail: readonly Action[];
  readonly running: RunningAction;
  readonly finishAtMs: number;
}

export interface Agent {
  alive: boolean;
  pausedUntilMs?: number;
  restartAtMs?: number;
  memory: HaMemory;
  nextCycleAtMs: number;
  background?: Background;
  lastActionResult?: { type: Action['type']; ok: boolean; message?: string };
  lastFailure?: { action: Action; message: string; kind?: 'lost' | 'unreachable' };
  failsafeLeader?: { name: string; untilMs: number };
  watchdogDeadlineMs?: number;
  clockOffsetMs: number;
  slowUntilMs?: number;
  requests: OperatorRequests;
  lastMessage: string;
  lastPaused: boolean;
}

export interface SimMember {
  readonly name: string;
  readonly host: string;
  readonly tags: Record<string, unknown>;
  /** Replication catch-up probability per step (a slow replica lags). */
  readonly catchUp: number;
  pg: PgState;
  agent: Agent;
  /** Streaming from its upstream at the last replication tick. */
  streaming: boolean;
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
  divergedFollowSteps: number;
  leaderlessSteps: number;
  /** 1 when, after a quiet tail without new faults, one writable primary holds the leader key. */
  endedHealthy: number;
  /** 1 when the run had a quiet tail long enough to judge convergence. */
  judgedConvergence: number;
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

export interface World {
  readonly seed: number;
  readonly rng: Prng;
  readonly decide: DecideFn;
  readonly scenario: SimScenario;
  readonly dcs: ModelDcs;
  readonly members: SimMember[];
  nowMs: number;
  step: number;
  stepMs: number;
  nextSegmentId: number;
  /** Members that cannot reach the DCS; `*` = the DCS is down for all. */
  dcsCut: Map<string, number>;
  dcsDownUntilMs: number;
  /** "a|b" (sorted) → until. */
  netCut: Map<string, number>;
  pausedUntilMs?: number;
  /** The operator asked for a switchover that has not produced a promotion yet. */
  switchoverPending?: boolean;
  /** `/sync` as it was when the acting member's cycle began. */
  syncAtCycleStart?: { leader: string | null; standbys: readonly string[] };
  /** `/failover` candidate as it was when the acting member's cycle began. */
  candidateAtCycleStart?: string;
  lastConfirmedWrite?: Wal;
  trace: string[];
  traceAll: boolean;
  stats: SimStats;
  violations: Violation[];
  log?: (line: string) => void;
}

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
    divergedFollowSteps: 0,
    leaderlessSteps: 0,
    endedHealthy: 0,
    judgedConvergence: 0,
  };
}

export function newWorld(seed: number, decide: DecideFn, scenario: SimScenario, members: SimMember[], rng: Prng): World {
  return {
    seed,
    rng,
    decide,
    scenario,
    dcs: new ModelDcs(scenario.settings.ttlSeconds * 1000),
    members,
    nowMs: 1_750_000_000_000,
    step: 0,
    stepMs: 250,
    nextSegmentId: 1,
    dcsCut: new Map(),
    dcsDownUntilMs: 0,
    netCut: new Map(),
    trace: [],
    traceAll: false,
    stats: newStats(),
    violations: [],
  };
}

const TRACE_LENGTH = 80;

export function record(world: World, line: string): void {
  const stamped = `[${((world.nowMs - 1_750_000_000_000) / 1000).toFixed(2).padStart(8)}s #${world.step}] ${line}`;
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

export function machineUp(member: SimMember): boolean {
  return member.agent.restartAtMs === undefined;
}

export function agentResponsive(world: World, member: SimMember): boolean {
  return member.agent.alive && (member.agent.pausedUntilMs === undefined || member.agent.pausedUntilMs <= world.nowMs);
}

export function reachesDcs(world: World, member: SimMember): boolean {
  if (world.dcsDownUntilMs > world.nowMs) return false;
  const cut = world.dcsCut.get(member.name);
  return cut === undefined || cut <= world.nowMs;
}

export function linked(world: World, a: string, b: string): boolean {
  const key = [a, b].sort().join('|');
  const cut = world.netCut.get(key);
  return cut === undefined || cut <= world.nowMs;
}

export function agentNow(world: World, member: SimMember): number {
  return world.nowMs + member.agent.clockOffsetMs;
}
