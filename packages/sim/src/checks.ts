/**
 * The invariants of DESIGN.md, checked where they can break: one writable
 * primary (after every event and every step), promotion only after winning
 * the lock and never of a lagging, nofailover or non-synchronous member
 * (where a promotion begins), no synchronously confirmed write lost (where
 * a member becomes primary), nothing changed while paused (where decide()
 * answers).
 */
import { isQuestion, type Action, type DecideInput, type DecideResult, type HaMemory } from '@pgwarden/core';
import { isWritablePrimary } from './model-postgres.js';
import { commonPrefix } from './wal.js';
import type { SimMember, World } from './world.js';
import { machineUp, nowMs, record, violate } from './world.js';

export function checkSinglePrimary(world: World, countLeaderless: boolean): void {
  if (world.violations.length > 0) return;
  const writable = world.members.filter((member) => machineUp(member) && isWritablePrimary(member.pg));
  if (writable.length > 1) violate(world, 'two-primaries', `writable primaries: ${writable.map((member) => member.name).join(', ')}`);
  if (countLeaderless && writable.length === 0) world.stats.leaderlessSteps += 1;
}

/** A timer of the model scheduler fires on time; anything later than this is the runtime's doing. */
const WAKE_TOLERANCE_MS = 50;

/**
 * The runtime protocol (core README): the next cycle starts no later than
 * decide()'s `wakeUpAtMs`, or at once when the cycle that asked for it was
 * still running then (its actions take their time: a DCS write bounded by
 * retry_timeout, say; cycles never overlap). Checked when a cycle starts
 * (its DCS read).
 */
export function checkCycleStart(world: World, member: SimMember): void {
  const agent = member.agent;
  const due = agent?.wakeDueAtMs;
  if (agent === undefined || due === undefined) return;
  agent.wakeDueAtMs = undefined;
  const late = nowMs(world) - Math.max(due, agent.cycleEndedAtMs ?? due);
  if (late > WAKE_TOLERANCE_MS) violate(world, 'wake-up-missed', `${member.name} started its next cycle ${late} ms after decide()'s wakeUpAtMs`);
}

export function checkPromotionStart(world: World, member: SimMember): void {
  const owner = world.dcs.leaderName();
  if (owner !== member.name) violate(world, 'promote-without-lock', `${member.name} promotes while the leader key is ${owner ?? 'absent'}`);
  if (member.tags['nofailover'] === true) violate(world, 'nofailover-promoted', `${member.name} is tagged nofailover`);
  // The candidate of an explicit manual failover (no leader named) may lag (Patroni §8.3).
  const manual = member.agent?.candidateAtDecide === member.name;
  const lag = world.dcs.statusOptime() - member.pg.wal.end;
  if (!manual && lag > world.scenario.settings.maximumLagOnFailoverBytes) {
    violate(world, 'lagging-promoted', `${member.name} lags ${lag} bytes > ${world.scenario.settings.maximumLagOnFailoverBytes}`);
  }
  const sync = member.agent?.syncAtDecide;
  if (world.scenario.settings.synchronousMode !== false && sync !== undefined && sync.leader !== null && sync.leader !== member.name && !sync.standbys.includes(member.name)) {
    violate(world, 'non-sync-promoted', `${member.name} is not in /sync (${sync.leader}: ${sync.standbys.join(',')})`);
  }
}

/**
 * A leader that gives its key up with a final position publishes none below
 * a position it published while holding the key: WAL only grows within a
 * tenure, so a lower one is an old checkpoint (a stop that was not clean),
 * and the replicas racing for the key would measure their lag against it.
 */
export function checkFinalPosition(world: World, member: SimMember, lastLsn: number | undefined): void {
  const published = member.tenureOptime;
  if (lastLsn === undefined || published === undefined || world.dcs.leaderName() !== member.name || world.dcs.leaderVersion() !== published.version) return;
  if (lastLsn >= published.lsn) return;
  violate(world, 'final-position-regressed', `${member.name} released the key with the final position ${lastLsn}, below the ${published.lsn} it published as leader`);
}

/** Remembers what a leader publishes in `/status` under the key's current version. */
export function notePublishedOptime(world: World, member: SimMember, lastLsn: number): void {
  const version = world.dcs.leaderVersion();
  if (version === undefined) return;
  const earlier = member.tenureOptime?.version === version ? member.tenureOptime.lsn : 0;
  member.tenureOptime = { version, lsn: Math.max(earlier, lastLsn) };
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

const PG_CHANGING: ReadonlySet<Action['type']> = new Set(['start', 'stop', 'restart', 'promote', 'demote', 'rewind', 'reinitialize', 'crash-recovery', 'bootstrap', 'create-replica']);

function detail(action: Action): string {
  if ('mode' in action) return `(${action.mode})`;
  if (action.type === 'write-sync') return `(${action.quorum === undefined ? '' : `quorum ${action.quorum} of `}[${action.standbys.join(',')}])`;
  if (action.type === 'set-synchronous-standby-names') return `('${action.value}')`;
  if (action.type === 'promote' && action.skipTimelinesThrough !== undefined) return `(skipping timelines through ${action.skipTimelinesThrough})`;
  return '';
}

function describe(actions: readonly Action[]): string {
  return actions.map((action) => action.type + detail(action)).join(', ');
}

/**
 * What the sim hands the runtime as decide(): the function under test, plus
 * the trace, the pause check, and what the promotion checks need to know
 * about the moment of the decision.
 */
export function observedDecide(world: World, member: SimMember): (input: DecideInput<HaMemory>) => DecideResult<HaMemory> {
  return (input) => {
    const result = world.decide(input);
    const agent = member.agent;
    if (result.awaiting !== undefined || agent === undefined) return result;
    world.stats.cycles += 1;
    agent.syncAtDecide = world.dcs.syncState();
    const failover = world.dcs.failoverValue();
    agent.candidateAtDecide = failover?.leader ? undefined : failover?.member;
    const actions = result.actions.filter((action) => !isQuestion(action));
    if (actions.some((action) => action.type === 'demote')) world.stats.demotions += 1;
    const routine = actions.every((action) => action.type === 'update-lock' || (action.type === 'watchdog' && action.op !== 'disable'));
    if (result.message !== agent.lastMessage || !routine) {
      record(world, `${member.name}: [${result.ruleId}] ${result.message}${result.reason === undefined ? '' : ` (${result.reason})`}${actions.length > 0 ? ` → ${describe(actions)}` : ''}`);
    }
    agent.lastMessage = result.message;
    agent.lastDiverged = result.diverged === true;
    agent.wakeDueAtMs = result.wakeUpAtMs === undefined ? undefined : nowMs(world) + (result.wakeUpAtMs - input.nowMs);
    const requests = input.requests;
    if (input.settings.paused && requests.restart === undefined && requests.reinitialize === undefined) {
      // An explicit switchover/failover to a named candidate is allowed in pause (Patroni §11): as
      // the DCS holds it now, or as this member read it — a decision on a snapshot the DCS has changed
      // since is the runtime's to stop (the lock is taken only if free, and a race decided on a read a
      // ttl old is refused), not a decision against the pause.
      const seen = input.cluster.ok ? input.cluster.value.failover?.candidate : undefined;
      const candidate = failover?.member || seen;
      const operatorSwitchover = candidate !== undefined && candidate !== '';
      const forbidden = actions.find((action) => PG_CHANGING.has(action.type) && !(operatorSwitchover && (action.type === 'promote' || action.type === 'demote')));
      if (forbidden !== undefined) violate(world, 'pause', `${member.name} ran ${forbidden.type} while the cluster is paused`);
    }
    return result;
  };
}
