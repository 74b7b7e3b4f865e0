/**
 * One member's agent, as the daemon runs it: observe (DCS snapshot, local
 * PostgreSQL), decide (the real core, with extra rounds for peer statuses
 * and the failsafe check), act in order (the first failure stops the list;
 * the first long action and the rest go to the background), publish.
 */
import { backgroundActionName, recordLockRenewal } from '@pgwarden/core';
import type { Action, Cluster, DecideInput, HaMemory, HaSettings, MemberData, PeerStatus, ReplicationConnection } from '@pgwarden/core';
import { executeImmediate, isLongAction, beginLongAction, finishLongAction } from './actions.js';
import { isNamedSync, isWritablePrimary, observePg } from './model-postgres.js';
import type { SimMember, World } from './world.js';
import { agentNow, agentResponsive, linked, machineUp, memberByName, reachesDcs, record, violate } from './world.js';

export function hostOf(world: World, name: string): string {
  return memberByName(world, name)?.host ?? `${name}:5432`;
}

function replicationRows(world: World, member: SimMember): ReplicationConnection[] {
  return world.members
    .filter((other) => other !== member && other.streaming && other.pg.follow === member.name && other.pg.running)
    .map((other) => ({
      applicationName: other.name,
      state: 'streaming',
      syncState: isNamedSync(member.pg, other.name) ? 'sync' : 'async',
      syncPriority: 1,
      flushLsn: other.pg.wal.end,
    }));
}

export function memberData(world: World, member: SimMember): MemberData {
  const pg = member.pg;
  const role = pg.dataDirectory === 'empty' ? 'uninitialized' : isWritablePrimary(pg) ? 'primary' : 'replica';
  return {
    conn_url: `postgres://${member.host}/postgres`,
    api_url: `http://${member.host.replace(':5432', ':8008')}/patroni`,
    state: pg.running ? 'running' : 'stopped',
    role,
    xlog_location: pg.wal.end,
    timeline: pg.timeline,
    tags: member.tags,
    version: '4.0.0',
  };
}

function settingsFor(world: World, member: SimMember, cluster: Cluster | undefined): HaSettings {
  const paused = cluster?.config?.data['pause'] === true ? true : cluster === undefined ? member.agent.lastPaused : false;
  member.agent.lastPaused = paused;
  return { ...world.scenario.settings, paused };
}

export function peerStatus(world: World, asker: SimMember, name: string): PeerStatus {
  const peer = memberByName(world, name);
  if (peer === undefined || !machineUp(peer) || !agentResponsive(world, peer) || !linked(world, asker.name, name)) {
    return { name, reachable: false };
  }
  // Like GET /patroni: without a running PostgreSQL there is no xlog object, which counts as unreachable.
  if (!peer.pg.running || peer.pg.dataDirectory !== 'valid') return { name, reachable: false, state: 'stopped' };
  const writable = isWritablePrimary(peer.pg);
  return {
    name,
    reachable: true,
    role: writable ? 'primary' : 'replica',
    state: peer.pg.running ? 'running' : 'stopped',
    walPosition: peer.pg.wal.end,
    isPrimary: writable,
    timeline: peer.pg.timeline,
    tags: peer.tags,
  };
}

function failsafeCheck(world: World, asker: SimMember, names: readonly string[]): string[] {
  const accepted: string[] = [];
  for (const name of names) {
    const peer = memberByName(world, name);
    if (peer === undefined || !machineUp(peer) || !agentResponsive(world, peer) || !linked(world, asker.name, name)) continue;
    if (isWritablePrimary(peer.pg)) continue;
    peer.agent.failsafeLeader = { name: asker.name, untilMs: world.nowMs + world.scenario.settings.ttlSeconds * 1000 };
    accepted.push(name);
  }
  record(world, `${asker.name}: failsafe check of ${names.join(',')}: accepted by ${accepted.join(',') || 'nobody'}`);
  return accepted;
}

function observeCluster(world: World, member: SimMember): DecideInput<HaMemory>['cluster'] {
  if (!reachesDcs(world, member)) return { ok: false, message: 'DCS unreachable (model)' };
  let cluster = world.dcs.read();
  const remembered = member.agent.failsafeLeader;
  if (world.scenario.settings.failsafeMode && cluster.leader === undefined && remembered !== undefined && remembered.untilMs > world.nowMs) {
    cluster = { ...cluster, leader: { name: remembered.name, version: 0 } };
  }
  return { ok: true, value: cluster };
}

function decideRounds(world: World, member: SimMember, base: DecideInput<HaMemory>) {
  let input = base;
  let result = world.decide(input);
  for (let round = 1; round < 3 && result.awaiting !== undefined; round++) {
    const ask = result.actions[0];
    if (ask?.type === 'fetch-peer-status') input = { ...input, peers: ask.members.map((name) => peerStatus(world, member, name)) };
    else if (ask?.type === 'failsafe-check') input = { ...input, failsafeAccepted: failsafeCheck(world, member, Object.keys(ask.members)) };
    else break;
    result = world.decide(input);
  }
  return result;
}

const PG_CHANGING: ReadonlySet<Action['type']> = new Set(['start', 'stop', 'restart', 'promote', 'demote', 'rewind', 'reinitialize', 'crash-recovery', 'bootstrap', 'create-replica']);

export function runCycle(world: World, member: SimMember): void {
  const agent = member.agent;
  world.stats.cycles += 1;
  const cluster = observeCluster(world, member);
  const settings = settingsFor(world, member, cluster.ok ? cluster.value : undefined);
  const local = observePg(member.pg, (name) => hostOf(world, name), replicationRows(world, member));
  const requests = agent.requests;
  agent.requests = {};
  const base: DecideInput<HaMemory> = {
    nowMs: agentNow(world, member),
    self: { name: member.name, apiUrl: `http://${member.host}/patroni`, connUrl: `postgres://${member.host}/postgres`, tags: member.tags },
    settings,
    cluster,
    local,
    ...(agent.background === undefined ? {} : { running: agent.background.running }),
    ...(agent.lastActionResult === undefined ? {} : { lastActionResult: agent.lastActionResult }),
    ...(agent.lastFailure === undefined ? {} : { lastFailure: agent.lastFailure }),
    requests,
    memory: agent.memory,
  };
  agent.lastActionResult = undefined;
  agent.lastFailure = undefined;
  const result = decideRounds(world, member, base);
  agent.memory = result.memory;
  const actions = result.actions.filter((action) => action.type !== 'fetch-peer-status' && action.type !== 'failsafe-check');
  const routine = actions.every((action) => action.type === 'update-lock' || (action.type === 'watchdog' && action.op === 'keepalive'));
  if (result.message !== agent.lastMessage || !routine || world.traceAll) {
    record(world, `${member.name}: [${result.ruleId}] ${result.message}${actions.length > 0 ? ` → ${actions.map((a) => a.type + ('mode' in a ? `(${a.mode})` : '')).join(', ')}` : ''}`);
  }
  agent.lastMessage = result.message;
  if (settings.paused && requests.restart === undefined && requests.reinitialize === undefined) {
    // An explicit switchover/failover to a named candidate is allowed in pause (Patroni §11).
    const candidate = world.dcs.failoverValue()?.member;
    const operatorSwitchover = candidate !== undefined && candidate !== '';
    const forbidden = actions.find((action) => PG_CHANGING.has(action.type) && !(operatorSwitchover && (action.type === 'promote' || action.type === 'demote')));
    if (forbidden !== undefined) violate(world, 'pause', `${member.name} ran ${forbidden.type} while the cluster is paused`);
  }
  const sync = world.dcs.syncState();
  world.syncAtCycleStart = sync;
  const failover = world.dcs.failoverValue();
  world.candidateAtCycleStart = failover?.leader ? undefined : failover?.member;
  const failed = act(world, member, actions);
  if (reachesDcs(world, member) && agentResponsive(world, member)) world.dcs.touchMember(member.name, memberData(world, member), world.nowMs);
  const loopMs = settings.loopWaitSeconds * 1000 + world.rng.int(0, 500);
  let next = world.nowMs + loopMs;
  if (failed) next = Math.min(next, world.nowMs + 100);
  if (result.wakeUpAtMs !== undefined) next = Math.min(next, Math.max(world.nowMs + 100, result.wakeUpAtMs - agent.clockOffsetMs));
  agent.nextCycleAtMs = next;
}

/** Returns true when an action failed. */
function act(world: World, member: SimMember, actions: readonly Action[]): boolean {
  const agent = member.agent;
  for (let index = 0; index < actions.length; index++) {
    const action = actions[index];
    if (action === undefined) continue;
    if (isLongAction(action)) {
      if (agent.background !== undefined) {
        const message = `Failed to run ${backgroundActionName(action) ?? action.type}, ${agent.background.running.name} is already in progress`;
        agent.lastFailure = { action, message };
        return true;
      }
      const duration = beginLongAction(world, member, action);
      agent.background = {
        first: action,
        tail: actions.slice(index + 1),
        running: { name: backgroundActionName(action) ?? action.type, type: action.type, startedAtMs: agentNow(world, member) },
        finishAtMs: world.nowMs + duration,
      };
      return false;
    }
    const outcome = executeImmediate(world, member, action);
    if (outcome.renewedAtMs !== undefined) agent.memory = recordLockRenewal(agent.memory, outcome.renewedAtMs);
    if (!outcome.ok) {
      agent.lastFailure = { action, message: outcome.message ?? 'failed', ...(outcome.kind === undefined ? {} : { kind: outcome.kind }) };
      return true;
    }
  }
  return false;
}

/** Background action due: complete it, then run the rest of its list. */
export function completeBackground(world: World, member: SimMember): void {
  const background = member.agent.background;
  if (background === undefined || background.finishAtMs > world.nowMs) return;
  member.agent.background = undefined;
  let ok = finishLongAction(world, member, background.first);
  if (ok) {
    for (const action of background.tail) {
      const outcome = isLongAction(action) ? { ok: finishLongAction(world, member, action) } : executeImmediate(world, member, action);
      if ('renewedAtMs' in outcome && outcome.renewedAtMs !== undefined) member.agent.memory = recordLockRenewal(member.agent.memory, outcome.renewedAtMs);
      if (!outcome.ok) {
        ok = false;
        break;
      }
    }
  }
  member.agent.lastActionResult = { type: background.first.type, ok };
  record(world, `${member.name}: background ${background.running.name} ${ok ? 'finished' : 'failed'}`);
  member.agent.nextCycleAtMs = Math.min(member.agent.nextCycleAtMs, world.nowMs + 50);
}
