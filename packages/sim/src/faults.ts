/**
 * The fault injector: member crash and restart, postmaster crash, agent
 * pause longer than ttl (SIGSTOP), partitions member↔DCS and member↔member
 * (refused, or black-holed: requests hang until their deadline), DCS outage
 * for all, wall-clock jumps, slow actions, a replica whose WAL receiver
 * stalls while it stays connected, and the operator's switchovers,
 * pause, restart and reinitialize requests. Every choice comes from the
 * seeded PRNG.
 */
import { dropAgent, postmasterExited, startAgent } from './host.js';
import { stopPg } from './model-postgres.js';
import type { LinkFailure, SimMember, World } from './world.js';
import { machineUp, nowMs, reachesDcs, record } from './world.js';

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
  'restart-request',
  'reinitialize-request',
  'replica-stall',
] as const;
/**
 * Faults only a `--faults` list (or a test) names, never drawn by default,
 * so that adding one leaves every seed of the default mixes as it was:
 * stuck-shutdown, the member's next clean stop as a primary escalates to
 * SIGQUIT (a checkpointer or walsender that hangs past pg_ctl_timeout).
 */
export const OPT_IN_FAULT_KINDS = ['stuck-shutdown'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number] | (typeof OPT_IN_FAULT_KINDS)[number];

function count(world: World, kind: string): void {
  world.stats.faults[kind] = (world.stats.faults[kind] ?? 0) + 1;
}

function ttlMs(world: World): number {
  return world.scenario.settings.ttlSeconds * 1000;
}

function linkFailure(world: World): LinkFailure {
  return world.rng.chance(0.5) ? 'black-hole' : 'refused';
}

/** Machine down (crash, watchdog reset): PostgreSQL dies uncleanly, the agent process is dropped. */
export function crashMachine(world: World, member: SimMember, downMs: number): void {
  stopPg(member.pg, false);
  member.pgGeneration += 1;
  dropAgent(member);
  member.watchdogDeadlineMs = undefined;
  member.restartAtMs = nowMs(world) + downMs;
  member.agentRestartAtMs = undefined;
  member.streaming = false;
}

function switchover(world: World): boolean {
  if (world.dcsDown !== undefined && world.dcsDown.untilMs > nowMs(world)) return false;
  const leader = world.dcs.leaderName();
  if (leader === undefined || world.pausedUntilMs !== undefined) return false;
  // Like the REST API: in synchronous mode a switchover candidate must be a /sync standby.
  const sync = world.dcs.syncState();
  const syncOnly = world.scenario.settings.synchronousMode !== false && sync !== undefined && sync.leader !== null;
  const candidates = world.members.filter(
    (candidate) => candidate.name !== leader && candidate.tags['nofailover'] !== true && (!syncOnly || sync.standbys.includes(candidate.name)),
  );
  const candidate = world.rng.chance(0.5) ? world.rng.pick(candidates) : undefined;
  world.dcs.setFailover({ leader, ...(candidate === undefined ? {} : { member: candidate.name }) });
  world.switchoverPending = true;
  return true;
}

/** Returns false when the fault does not apply now. */
function injectOne(world: World, kind: FaultKind, member: SimMember): boolean {
  const rng = world.rng;
  const now = nowMs(world);
  switch (kind) {
    case 'member-crash':
      crashMachine(world, member, rng.int(5_000, 90_000));
      return true;
    case 'postmaster-crash':
      if (!member.pg.running) return false;
      stopPg(member.pg, false);
      member.pgGeneration += 1;
      postmasterExited(member);
      return true;
    case 'agent-pause':
      if (member.agent === undefined) return false;
      // A stopped process misses its wake-up through no fault of the runtime.
      member.agent.wakeDueAtMs = undefined;
      member.owner.pausedUntilMs = now + rng.int(Math.floor(ttlMs(world) * 1.1), ttlMs(world) * 3);
      return true;
    case 'dcs-partition':
      world.dcsCut.set(member.name, { untilMs: now + rng.int(2_000, 3 * ttlMs(world)), failure: linkFailure(world) });
      return true;
    case 'member-partition': {
      const other = rng.pick(world.members.filter((candidate) => candidate !== member));
      if (other === undefined) return false;
      world.netCut.set([member.name, other.name].sort().join('|'), { untilMs: now + rng.int(3_000, 3 * ttlMs(world)), failure: linkFailure(world) });
      return true;
    }
    case 'dcs-outage':
      world.dcsDown = { untilMs: now + rng.int(3_000, Math.floor(2.5 * ttlMs(world))), failure: linkFailure(world) };
      return true;
    case 'clock-jump':
      // Only the wall clock moves (NTP, `date -s`), either way and by up to 2×ttl: the monotonic clock never jumps.
      member.wallOffsetMs += (rng.chance(0.5) ? 1 : -1) * rng.int(1_000, 2 * ttlMs(world));
      return true;
    case 'slow-actions':
      member.slowUntilMs = now + rng.int(20_000, 120_000);
      return true;
    case 'switchover':
      return switchover(world);
    case 'pause-cluster':
      if (world.pausedUntilMs !== undefined || (world.dcsDown !== undefined && world.dcsDown.untilMs > now)) return false;
      world.pausedUntilMs = now + rng.int(20_000, 120_000);
      world.dcs.setConfig({ ...(world.dcs.configData() ?? {}), pause: true });
      return true;
    case 'restart-request':
      // POST /restart, as the REST API hands it to the runtime.
      if (member.agent === undefined || !member.pg.running) return false;
      member.agent.runtime.request({ restart: {} });
      return true;
    case 'reinitialize-request':
      if (member.agent === undefined || world.dcs.leaderName() === member.name) return false;
      member.agent.runtime.request({ reinitialize: { force: false, fromLeader: false } });
      return true;
    case 'replica-stall':
      // Slow disk or network: connected, receiving nothing (it acknowledges no commit meanwhile).
      if (!member.pg.running || !member.pg.inRecovery) return false;
      member.stalledUntilMs = now + rng.int(5_000, 2 * ttlMs(world));
      return true;
    case 'stuck-shutdown':
      if (member.stuckShutdown === true) return false;
      member.stuckShutdown = true;
      return true;
  }
}

/** Called every step: the end of timed faults (machine restarts, agent restarts, resume after pause). */
export function settleFaults(world: World): void {
  const now = nowMs(world);
  // The operator resumes like `patronictl resume --wait`: only once every running member
  // sees the DCS again. Resuming while a paused primary is cut off from the DCS would let
  // the others elect a second primary (a hazard Patroni shares; see the README).
  const allSeeDcs = world.members.every((member) => !machineUp(member) || reachesDcs(world, member));
  if (world.pausedUntilMs !== undefined && world.pausedUntilMs <= now && allSeeDcs) {
    world.pausedUntilMs = undefined;
    world.dcs.setConfig({ ...(world.dcs.configData() ?? {}), pause: false });
    record(world, 'operator resumes the cluster');
  }
  for (const member of world.members) {
    if (member.restartAtMs !== undefined && member.restartAtMs <= now) {
      member.restartAtMs = undefined;
      member.agentRestartAtMs = now + world.rng.int(500, 3000);
      record(world, `${member.name}: machine restarted`);
    }
    if (member.owner.pausedUntilMs !== undefined && member.owner.pausedUntilMs <= now) member.owner.pausedUntilMs = undefined;
    if (machineUp(member) && member.agent === undefined && member.agentRestartAtMs !== undefined && member.agentRestartAtMs <= now) {
      record(world, `${member.name}: agent started`);
      startAgent(world, member);
    }
  }
}

/** Called once per step outside the quiet tail: maybe one new fault. */
export function injectFaults(world: World, probabilityPerStep: number, kinds: readonly FaultKind[] = FAULT_KINDS): void {
  if (!world.rng.chance(probabilityPerStep)) return;
  const kind = world.rng.pick(kinds);
  // Half of the member-specific faults hit the leader: that is where safety is at stake.
  const leader = world.members.find((candidate) => candidate.name === world.dcs.leaderName() && machineUp(candidate));
  const member = leader !== undefined && world.rng.chance(0.5) ? leader : world.rng.pick(world.members.filter((candidate) => machineUp(candidate)));
  if (kind === undefined || member === undefined) return;
  if (!injectOne(world, kind, member)) return;
  count(world, kind);
  record(world, `FAULT ${kind} on ${member.name}`);
}

export function countFault(world: World, kind: string): void {
  count(world, kind);
}
