/**
 * The fault injector: member crash and restart, postmaster crash, agent
 * pause longer than ttl (SIGSTOP), partitions member↔DCS and
 * member↔member, DCS outage for all, clock jumps, slow actions, and the
 * operator's switchovers and pause. Every choice comes from the seeded PRNG.
 */
import { initialMemory } from '@pgwarden/core';
import { stopPg } from './model-postgres.js';
import type { SimMember, World } from './world.js';
import { machineUp, reachesDcs, record } from './world.js';

export const FAULT_KINDS = [
  'member-crash',
  'postmaster-crash',
  'agent-pause',
  'dcs-partition',
  'member-partition',
  'dcs-outage',
  'clock-jump',
  'slow-actions',
  'switchover',
  'pause-cluster',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

function count(world: World, kind: FaultKind): void {
  world.stats.faults[kind] = (world.stats.faults[kind] ?? 0) + 1;
}

function ttlMs(world: World): number {
  return world.scenario.settings.ttlSeconds * 1000;
}

export function crashMachine(world: World, member: SimMember, downMs: number): void {
  stopPg(member.pg, false);
  member.agent.alive = false;
  member.agent.background = undefined;
  member.agent.watchdogDeadlineMs = undefined;
  member.agent.restartAtMs = world.nowMs + downMs;
  member.streaming = false;
}

export function restartMachine(world: World, member: SimMember): void {
  member.agent = {
    ...member.agent,
    alive: true,
    restartAtMs: undefined,
    pausedUntilMs: undefined,
    memory: initialMemory(),
    background: undefined,
    lastActionResult: undefined,
    lastFailure: undefined,
    failsafeLeader: undefined,
    watchdogDeadlineMs: undefined,
    nextCycleAtMs: world.nowMs + world.rng.int(500, 3000),
    requests: {},
    lastMessage: '',
  };
  record(world, `${member.name}: machine restarted`);
}

function injectOne(world: World, kind: FaultKind, member: SimMember): void {
  const rng = world.rng;
  switch (kind) {
    case 'member-crash':
      crashMachine(world, member, rng.int(5_000, 90_000));
      break;
    case 'postmaster-crash':
      if (!member.pg.running) return;
      stopPg(member.pg, false);
      break;
    case 'agent-pause':
      if (!member.agent.alive) return;
      member.agent.pausedUntilMs = world.nowMs + rng.int(Math.floor(ttlMs(world) * 1.1), ttlMs(world) * 3);
      break;
    case 'dcs-partition':
      world.dcsCut.set(member.name, world.nowMs + rng.int(2_000, 3 * ttlMs(world)));
      break;
    case 'member-partition': {
      const other = rng.pick(world.members.filter((candidate) => candidate !== member));
      if (other === undefined) return;
      world.netCut.set([member.name, other.name].sort().join('|'), world.nowMs + rng.int(3_000, 3 * ttlMs(world)));
      break;
    }
    case 'dcs-outage':
      world.dcsDownUntilMs = world.nowMs + rng.int(3_000, Math.floor(2.5 * ttlMs(world)));
      break;
    case 'clock-jump':
      // Forward jumps of any size; backward only within the safety margin (nowMs must be monotonic-ish).
      member.agent.clockOffsetMs += rng.chance(0.7) ? rng.int(1_000, 2 * ttlMs(world)) : -rng.int(0, 2_000);
      break;
    case 'slow-actions':
      member.agent.slowUntilMs = world.nowMs + rng.int(20_000, 120_000);
      break;
    case 'switchover': {
      if (world.dcsDownUntilMs > world.nowMs) return;
      const leader = world.dcs.leaderName();
      if (leader === undefined || world.pausedUntilMs !== undefined) return;
      // Like the REST API: in synchronous mode a switchover candidate must be a /sync standby.
      const sync = world.dcs.syncState();
      const syncOnly = world.scenario.settings.synchronousMode !== false && sync !== undefined && sync.leader !== null;
      const candidates = world.members.filter(
        (candidate) => candidate.name !== leader && candidate.tags['nofailover'] !== true && (!syncOnly || sync.standbys.includes(candidate.name)),
      );
      const candidate = rng.chance(0.5) ? rng.pick(candidates) : undefined;
      world.dcs.setFailover({ leader, ...(candidate === undefined ? {} : { member: candidate.name }) });
      world.switchoverPending = true;
      break;
    }
    case 'pause-cluster': {
      if (world.pausedUntilMs !== undefined || world.dcsDownUntilMs > world.nowMs) return;
      world.pausedUntilMs = world.nowMs + rng.int(20_000, 120_000);
      world.dcs.setConfig({ ...(world.dcs.configData() ?? {}), pause: true });
      break;
    }
  }
  count(world, kind);
  record(world, `FAULT ${kind} on ${member.name}`);
}

/** Called every step: the end of timed faults (machine restarts, resume after pause). */
export function settleFaults(world: World): void {
  // The operator resumes like `patronictl resume --wait`: only once every running member
  // sees the DCS again. Resuming while a paused primary is cut off from the DCS would let
  // the others elect a second primary (a hazard Patroni shares; see the testkit README).
  const allSeeDcs = world.members.every((member) => !machineUp(member) || reachesDcs(world, member));
  if (world.pausedUntilMs !== undefined && world.pausedUntilMs <= world.nowMs && allSeeDcs) {
    world.pausedUntilMs = undefined;
    world.dcs.setConfig({ ...(world.dcs.configData() ?? {}), pause: false });
    record(world, 'operator resumes the cluster');
  }
  for (const member of world.members) {
    if (member.agent.restartAtMs !== undefined && member.agent.restartAtMs <= world.nowMs) restartMachine(world, member);
    if (!member.agent.alive && member.agent.restartAtMs === undefined && member.agent.nextCycleAtMs <= world.nowMs) restartMachine(world, member);
  }
}

/** Called once per step outside the quiet tail: maybe one new fault. */
export function injectFaults(world: World, probabilityPerStep: number, kinds: readonly FaultKind[] = FAULT_KINDS): void {
  if (!world.rng.chance(probabilityPerStep)) return;
  const kind = world.rng.pick(kinds);
  const member = world.rng.pick(world.members.filter((candidate) => machineUp(candidate)));
  if (kind === undefined || member === undefined) return;
  injectOne(world, kind, member);
}
