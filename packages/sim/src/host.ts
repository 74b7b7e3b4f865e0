/**
 * One member's agent process: the real AgentRuntime of @pgwarden/daemon,
 * built from the model ports and the member's virtual clock, running its
 * own loop (`run()`) in virtual time. A crash drops the process (its events
 * never fire again); a restart builds a new runtime with fresh memory, but
 * for the member names kept beside the data directory.
 */
import { initialMemory, recordLockRenewal, type Cluster, type HaMemory, type HaSettings } from '@pgwarden/core';
import { AgentRuntime, silentLogger, type AgentLogger, type CallbackPort } from '@pgwarden/daemon';
import { observedDecide } from './checks.js';
import { SimDcs } from './dcs-port.js';
import { simPeerPort, simWatchdog } from './peer-port.js';
import { SimPostgres } from './pg-port.js';
import { MemberClock } from './scheduler.js';
import type { AgentProcess, DecideFn, SimMember, World } from './world.js';
import { nowMs, processOwner, record, violate } from './world.js';

const noCallbacks: CallbackPort = { run: () => undefined, close: () => Promise.resolve() };

/** Warnings and errors of the runtime go to the trace (they explain most violations). */
function traceLogger(world: World, member: SimMember): AgentLogger {
  const line = (level: string) => (fields: Record<string, unknown>, message: string) => {
    const detail = Object.keys(fields).length === 0 ? '' : ` ${JSON.stringify(fields)}`;
    record(world, `${member.name}: ${level} ${message}${detail}`);
    // The runtime protocol: a demotion preempts a background action, it is never refused as busy.
    if (fields['action'] === 'demote' && message.startsWith('Failed to run')) violate(world, 'demotion-refused', `${member.name}: ${message}`);
  };
  const logger: AgentLogger = { ...silentLogger, warn: line('WARN'), error: line('ERROR'), fatal: line('FATAL'), child: () => logger };
  return logger;
}

interface SimAgentProcess extends AgentProcess {
  readonly dcs: SimDcs;
  readonly postgres: SimPostgres;
}

function settingsFor(world: World): (cluster: Cluster | undefined) => HaSettings {
  let lastPaused = false;
  return (cluster) => {
    if (cluster !== undefined) lastPaused = cluster.config?.data['pause'] === true;
    return { ...world.scenario.settings, paused: lastPaused };
  };
}

function seenByRuntime(world: World, decide: DecideFn): DecideFn {
  const change = world.variant.seenByRuntime;
  return change === undefined ? decide : (input) => change(decide(input));
}

export function startAgent(world: World, member: SimMember): void {
  const memberClock = new MemberClock(world.scheduler, processOwner(member), member.monotonicOffsetMs, () => member.wallOffsetMs);
  const clock = world.variant.clock?.(memberClock) ?? memberClock;
  const dcs = new SimDcs(world, member, clock);
  const postgres = new SimPostgres(world, member);
  let lastCycle = 0;
  const runtime = new AgentRuntime<HaMemory>({
    self: { name: member.name, apiUrl: member.apiUrl, connUrl: `postgres://${member.host}/postgres`, tags: member.tags },
    dcs,
    postgres,
    peers: simPeerPort(world, member),
    callbacks: noCallbacks,
    watchdog: simWatchdog(world, member),
    logger: traceLogger(world, member),
    clock,
    decide: seenByRuntime(world, observedDecide(world, member)),
    // The agent's file of member names beside the data directory: read at the start, written as they change.
    initialMemory: initialMemory(member.knownMembers === undefined ? {} : { knownMembers: member.knownMembers }),
    keepMemory: (memory) => {
      if (member.agent?.runtime === runtime && memory.knownMembers !== undefined) member.knownMembers = memory.knownMembers;
    },
    settings: settingsFor(world),
    recordLockRenewal,
    isFailsafeActive: (memory) => memory.failsafeActive,
    // A cycle's own snapshot (not the between-cycles REST view, which repeats its number) marks its end.
    publish: (snapshot) => {
      if (member.agent?.runtime !== runtime || snapshot.cycle === lastCycle) return;
      lastCycle = snapshot.cycle;
      member.agent.cycleEndedAtMs = nowMs(world);
    },
    ...(world.variant.preemptForDemotion === undefined ? {} : { preemptForDemotion: world.variant.preemptForDemotion }),
    ...(world.variant.fenceWritable === undefined ? {} : { fenceWritable: world.variant.fenceWritable }),
    ...(world.variant.refuseStaleRace === undefined ? {} : { refuseStaleRace: world.variant.refuseStaleRace }),
  });
  const agent: SimAgentProcess = { runtime, clock, dcs, postgres, lastMessage: '' };
  member.agent = agent;
  member.agentRestartAtMs = undefined;
  void runtime.run().then((code) => {
    if (member.agent !== agent) return;
    record(world, `${member.name}: agent exited with code ${code}`);
    dropAgent(member);
    member.agentRestartAtMs = nowMs(world) + 30_000;
  });
}

/** The process is gone: nothing it scheduled runs any more, its watches are unsubscribed. */
export function dropAgent(member: SimMember): void {
  const agent = member.agent as SimAgentProcess | undefined;
  member.owner.epoch += 1;
  member.owner.pausedUntilMs = undefined;
  agent?.dcs.dispose();
  member.agent = undefined;
}

/** The postmaster of `member` died: the runtime hears of it as from the real port. */
export function postmasterExited(member: SimMember): void {
  (member.agent as SimAgentProcess | undefined)?.postgres.postmasterExited();
}
