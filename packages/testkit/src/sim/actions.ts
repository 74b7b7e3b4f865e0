/**
 * What each Action does to the model: DCS operations and quick PostgreSQL
 * changes at once; long ones begin now (a demotion stops PostgreSQL at
 * once) and complete after a model duration. The checks of DESIGN
 * invariants 2-4 sit where a promotion begins and completes.
 */
import type { Action } from '@pgwarden/core';
import { bootstrapPg, copyFrom, isWritablePrimary, promotePg, startPg, stopPg } from './model-postgres.js';
import { commonPrefix } from './wal.js';
import type { SimMember, World } from './world.js';
import { agentNow, agentResponsive, linked, machineUp, memberByName, reachesDcs, record, violate } from './world.js';

export interface Outcome {
  readonly ok: boolean;
  readonly message?: string;
  readonly kind?: 'lost' | 'unreachable';
  readonly renewedAtMs?: number;
}

const LONG: ReadonlySet<Action['type']> = new Set(['bootstrap', 'create-replica', 'start', 'restart', 'promote', 'demote', 'rewind', 'reinitialize', 'crash-recovery', 'checkpoint']);

const DURATION_MS: Partial<Record<Action['type'], readonly [number, number]>> = {
  bootstrap: [3000, 6000],
  'create-replica': [4000, 12000],
  reinitialize: [4000, 12000],
  start: [1000, 4000],
  restart: [2000, 5000],
  promote: [500, 2000],
  demote: [1000, 3000],
  rewind: [2000, 6000],
  'crash-recovery': [2000, 5000],
  checkpoint: [200, 800],
};

export function isLongAction(action: Action): boolean {
  return LONG.has(action.type);
}

const ok: Outcome = { ok: true };
const unreachable: Outcome = { ok: false, kind: 'unreachable', message: 'DCS unreachable' };

function lockOutcome(member: SimMember, world: World, outcome: ReturnType<World['dcs']['acquire']>): Outcome {
  if (outcome.kind === 'held') {
    if (world.scenario.settings.watchdogMode !== 'off' && member.agent.watchdogDeadlineMs !== undefined) armWatchdog(world, member);
    return { ok: true, renewedAtMs: agentNow(world, member) };
  }
  return outcome.kind === 'lost' ? { ok: false, kind: 'lost', message: `the leader key is ${outcome.owner ?? 'gone'}` } : { ok: false, kind: 'unreachable', message: 'unreachable' };
}

export function armWatchdog(world: World, member: SimMember): void {
  const settings = world.scenario.settings;
  member.agent.watchdogDeadlineMs = world.nowMs + (settings.ttlSeconds - (settings.safetyMarginSeconds ?? 5)) * 1000;
}

function dcsResult(result: { ok: boolean; message?: string }): Outcome {
  return result.ok ? ok : { ok: false, message: result.message ?? 'conflict' };
}

export function executeImmediate(world: World, member: SimMember, action: Action): Outcome {
  const dcs = world.dcs;
  const needsDcs = ['acquire-lock', 'update-lock', 'take-lock', 'release-lock', 'write-initialize', 'cancel-initialize', 'write-config', 'write-failover', 'clear-failover', 'write-sync', 'delete-sync', 'write-history'].includes(action.type);
  if (needsDcs && !reachesDcs(world, member)) return unreachable;
  switch (action.type) {
    case 'acquire-lock':
      return lockOutcome(member, world, dcs.acquire(member.name, world.nowMs));
    case 'update-lock':
      return lockOutcome(member, world, dcs.update(member.name, world.nowMs, action.lastLsn, action.failsafe));
    case 'take-lock':
      return lockOutcome(member, world, dcs.take(member.name, world.nowMs));
    case 'release-lock':
      return dcsResult(dcs.release(member.name, action.lastLsn));
    case 'write-initialize':
      return dcsResult(dcs.initialize(action.createNew, action.sysid));
    case 'cancel-initialize':
      return dcsResult(dcs.cancelInitialize());
    case 'write-config':
      return dcsResult(dcs.setConfig({ ...action.value }, action.version));
    case 'write-failover':
      return dcsResult(dcs.setFailover(action.value, action.version));
    case 'clear-failover':
      return dcsResult(dcs.setFailover({}, action.version));
    case 'write-sync':
      return dcsResult(dcs.writeSync(action.leader, action.standbys, action.version));
    case 'delete-sync':
      return dcsResult(dcs.deleteSync(action.version));
    case 'write-history':
      return dcsResult(dcs.setHistory(action.lines));
    case 'set-synchronous-standby-names':
      // Written to the configuration: applies now, or at the next start.
      member.pg.synchronousStandbyNames = action.value;
      return ok;
    case 'follow':
      member.pg.follow = action.target?.name;
      return ok;
    case 'stop':
      stopPg(member.pg, action.mode !== 'immediate');
      return ok;
    case 'remove-data-directory':
      member.pg.dataDirectory = 'empty';
      member.pg.running = false;
      return ok;
    case 'watchdog':
      if (action.op === 'disable') member.agent.watchdogDeadlineMs = undefined;
      else armWatchdog(world, member);
      return ok;
    case 'exit':
      record(world, `${member.name}: agent exits (${action.code}): ${action.reason}`);
      member.agent.alive = false;
      member.agent.pausedUntilMs = undefined;
      member.agent.restartAtMs = undefined;
      member.agent.nextCycleAtMs = world.nowMs + 30_000;
      return ok;
    default:
      return ok;
  }
}

function durationMs(world: World, member: SimMember, action: Action): number {
  const [low, high] = DURATION_MS[action.type] ?? [500, 1000];
  const slow = member.agent.slowUntilMs !== undefined && member.agent.slowUntilMs > world.nowMs ? 6 : 1;
  return world.rng.int(low, high) * slow;
}

function checkPromotionStart(world: World, member: SimMember): void {
  const owner = world.dcs.leaderName();
  if (owner !== member.name) violate(world, 'promote-without-lock', `${member.name} promotes while the leader key is ${owner ?? 'absent'}`);
  if (member.tags['nofailover'] === true) violate(world, 'nofailover-promoted', `${member.name} is tagged nofailover`);
  // The candidate of an explicit manual failover (no leader named) may lag (Patroni §8.3).
  const manual = world.candidateAtCycleStart === member.name;
  const lag = world.dcs.statusOptime() - member.pg.wal.end;
  if (!manual && lag > world.scenario.settings.maximumLagOnFailoverBytes) {
    violate(world, 'lagging-promoted', `${member.name} lags ${lag} bytes > ${world.scenario.settings.maximumLagOnFailoverBytes}`);
  }
  const sync = world.syncAtCycleStart;
  if (world.scenario.settings.synchronousMode !== false && sync !== undefined && sync.leader !== null && sync.leader !== member.name && !sync.standbys.includes(member.name)) {
    violate(world, 'non-sync-promoted', `${member.name} is not in /sync (${sync.leader}: ${sync.standbys.join(',')})`);
  }
}

/** DESIGN invariant 3: the new primary holds the last synchronously confirmed write. */
export function checkConfirmedWrites(world: World, member: SimMember): void {
  const confirmed = world.lastConfirmedWrite;
  if (world.scenario.settings.synchronousMode === false || confirmed === undefined) return;
  const shared = commonPrefix(member.pg.wal, confirmed);
  if (shared < confirmed.end) {
    violate(world, 'sync-write-lost', `${member.name} became primary without the write confirmed at ${confirmed.end} (shares ${shared})`);
  }
}

function releaseIfOwner(world: World, member: SimMember): void {
  if (reachesDcs(world, member) && world.dcs.leaderName() === member.name) world.dcs.release(member.name, member.pg.wal.end);
}

export function beginLongAction(world: World, member: SimMember, action: Action): number {
  const pg = member.pg;
  switch (action.type) {
    case 'promote':
      if (pg.running && pg.inRecovery) checkPromotionStart(world, member);
      break;
    case 'demote':
      world.stats.demotions += 1;
      member.agent.watchdogDeadlineMs = undefined;
      if (action.mode === 'graceful') shipToStreamingReplicas(world, member);
      stopPg(pg, action.mode === 'graceful' || action.mode === 'offline');
      if (action.mode === 'graceful' || action.mode === 'immediate') releaseIfOwner(world, member);
      break;
    case 'restart':
    case 'rewind':
    case 'reinitialize':
      stopPg(pg, action.type === 'restart');
      break;
    default:
      break;
  }
  return durationMs(world, member, action);
}

function shipToStreamingReplicas(world: World, primary: SimMember): void {
  for (const other of world.members) {
    if (other.streaming && other.pg.follow === primary.name && other.pg.running && linked(world, other.name, primary.name)) other.pg.wal = primary.pg.wal;
  }
}

function copySource(world: World, member: SimMember, name: string | undefined): SimMember | undefined {
  const source = memberByName(world, name);
  if (source === undefined || source === member || !machineUp(source) || !source.pg.running || source.pg.dataDirectory !== 'valid') return undefined;
  if (!linked(world, member.name, source.name)) return undefined;
  return source;
}

function followName(world: World, member: SimMember, action: Action): string | undefined {
  if (action.type === 'demote' || action.type === 'start') return action.follow?.name;
  if (action.type === 'rewind') return action.source.name;
  return undefined;
}

export function finishLongAction(world: World, member: SimMember, action: Action): boolean {
  const pg = member.pg;
  if (!machineUp(member)) return false;
  switch (action.type) {
    case 'promote': {
      if (!pg.running || !pg.inRecovery) return pg.running;
      promotePg(pg, world.nextSegmentId++);
      world.stats.promotions += 1;
      if (world.switchoverPending === true) world.stats.switchovers += 1;
      else world.stats.failovers += 1;
      world.switchoverPending = false;
      record(world, `${member.name}: PROMOTED to timeline ${pg.timeline} at ${pg.wal.end}`);
      checkConfirmedWrites(world, member);
      return true;
    }
    case 'demote':
      return startPg(pg, false, action.mode === 'offline' ? undefined : followName(world, member, action));
    case 'start': {
      const started = startPg(pg, action.asPrimary, followName(world, member, action));
      if (started && isWritablePrimary(pg)) checkConfirmedWrites(world, member);
      return started;
    }
    case 'restart':
      return startPg(pg, !pg.hasRecoveryConfig, pg.follow);
    case 'bootstrap':
      bootstrapPg(pg, `${7000000000000000000 + world.seed * 1000 + world.nextSegmentId}`, world.nextSegmentId++);
      return true;
    case 'create-replica':
    case 'reinitialize': {
      const source = copySource(world, member, action.source?.name);
      if (source === undefined) {
        if (action.type === 'reinitialize') pg.dataDirectory = 'empty';
        return false;
      }
      copyFrom(pg, source.pg, source.name);
      return true;
    }
    case 'rewind': {
      const source = copySource(world, member, action.source.name);
      if (source === undefined) return false;
      pg.wal = source.pg.wal;
      pg.timeline = source.pg.timeline;
      pg.history = [...source.pg.history];
      return startPg(pg, false, source.name);
    }
    case 'crash-recovery':
      pg.controlState = 'shut down';
      return true;
    default:
      return true;
  }
}

export function responsive(world: World, member: SimMember): boolean {
  return agentResponsive(world, member);
}
