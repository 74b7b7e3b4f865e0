/**
 * The other members' REST APIs as one member sees them (GET /patroni,
 * POST /failsafe), and the member's watchdog device. A peer whose machine
 * is down refuses at once; a black-holed link or a stopped agent (SIGSTOP)
 * answers nothing until the caller's timeout (a stopped agent answers once
 * it resumes, if that is before the timeout).
 */
import { watchdogTimeoutSeconds } from '@pgwarden/core';
import type { PeerPort, WatchdogPort } from '@pgwarden/daemon';
import { isWritablePrimary } from './model-postgres.js';
import type { SimMember, World } from './world.js';
import { machineUp, netCutBetween, nowMs, processOwner, record } from './world.js';

/**
 * GET /patroni of `peer` as the REST API builds it: no xlog object without a
 * running PostgreSQL, the data directory's timeline (pgwarden's field) instead.
 */
export function patroniStatus(peer: SimMember): Record<string, unknown> {
  const pg = peer.pg;
  if (pg.dataDirectory !== 'valid') return { state: 'stopped', role: 'replica', tags: peer.tags };
  if (!pg.running) return { state: 'stopped', role: 'replica', tags: peer.tags, data_directory_timeline: pg.timeline };
  const writable = isWritablePrimary(pg);
  return {
    state: 'running',
    role: writable ? 'primary' : 'replica',
    timeline: pg.timeline,
    tags: peer.tags,
    xlog: writable ? { location: pg.wal.end } : { received_location: pg.wal.end, replayed_location: pg.wal.end },
  };
}

/** When `asker`'s request to `peer` is answered (ms from now), or undefined when it fails at its timeout or at once. */
function answerDelay(world: World, asker: SimMember, peer: SimMember | undefined, timeoutMs: number): { delayMs: number; answered: boolean } {
  const latency = world.rng.int(1, 10);
  if (peer === undefined || !machineUp(peer) || peer.agent === undefined) return { delayMs: latency, answered: false };
  const cut = netCutBetween(world, asker.name, peer.name);
  if (cut !== undefined) return cut.failure === 'refused' ? { delayMs: latency, answered: false } : { delayMs: timeoutMs, answered: false };
  const paused = peer.owner.pausedUntilMs;
  const delayMs = paused !== undefined && paused > nowMs(world) ? paused - nowMs(world) + latency : latency;
  return delayMs < timeoutMs ? { delayMs, answered: true } : { delayMs: timeoutMs, answered: false };
}

export function simPeerPort(world: World, asker: SimMember): PeerPort {
  const owner = processOwner(asker);
  const peerAt = (apiUrl: string): SimMember | undefined => world.members.find((member) => member.apiUrl === apiUrl);
  return {
    fetchStatus(apiUrl, timeoutMs) {
      const peer = peerAt(apiUrl);
      const { delayMs, answered } = answerDelay(world, asker, peer, timeoutMs);
      return new Promise((resolve) => {
        world.scheduler.after(delayMs, owner, () => {
          // The peer may have gone meanwhile (crash): then nothing answers.
          resolve(answered && peer !== undefined && machineUp(peer) && peer.agent !== undefined ? patroniStatus(peer) : undefined);
        });
      });
    },
    postFailsafe(apiUrl, body, timeoutMs) {
      const peer = peerAt(apiUrl);
      const { delayMs, answered } = answerDelay(world, asker, peer, timeoutMs);
      return new Promise((resolve) => {
        world.scheduler.after(delayMs, owner, () => {
          const agent = peer?.agent;
          if (!answered || peer === undefined || agent === undefined || !machineUp(peer)) return resolve(false);
          // 502 without failsafe mode; 500 'Running as a leader' from a primary.
          if (!world.scenario.settings.failsafeMode || isWritablePrimary(peer.pg)) return resolve(false);
          agent.runtime.acceptFailsafeLeader(String(body['name']));
          record(world, `${peer.name}: accepted POST /failsafe from ${asker.name}`);
          resolve(true);
        });
      });
    },
  };
}

/**
 * A working watchdog device: resets the machine ttl − safety_margin after the last activation or
 * keepalive (the margin capped at ttl/2 and whole seconds, as the agent sets the real device).
 */
export function simWatchdog(world: World, member: SimMember): WatchdogPort {
  const settings = world.scenario.settings;
  const timeoutSeconds = watchdogTimeoutSeconds(settings.ttlSeconds, settings.safetyMarginSeconds);
  const arm = (): void => {
    member.watchdogDeadlineMs = nowMs(world) + timeoutSeconds * 1000;
  };
  const off = settings.watchdogMode === 'off';
  return {
    usable: true,
    activate: async () => {
      if (!off) arm();
    },
    keepalive: async () => {
      if (!off && member.watchdogDeadlineMs !== undefined) arm();
    },
    disable: async () => {
      member.watchdogDeadlineMs = undefined;
    },
  };
}
