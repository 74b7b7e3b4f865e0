/**
 * Folding what this round learned into memory before any rule runs: the
 * finished background action, the start of a new cycle, the DCS
 * coming back after an outage (anti-flapping claim), the last snapshot with
 * a leader (Patroni's `old_cluster`).
 */
import { isPrimaryRole, isUnlocked } from '../model/cluster-helpers.js';
import type { DecideInput } from '../model/decide-types.js';
import { MAX_KNOWN_MEMBERS, type HaMemory } from './memory.js';

/**
 * The runtime's hook for a confirmed renewal (acquire/update/take answered
 * `held`). When it was confirmed is not memory: the runtime keeps that one
 * fact and passes it in every input (`DecideInput.lockRenewedAtMs`).
 */
export function recordLockRenewal(memory: HaMemory): HaMemory {
  return { ...memory, isLeader: true, failsafeActive: false };
}

function absorbActionResult(input: DecideInput<HaMemory>, memory: HaMemory): HaMemory {
  const result = input.lastActionResult;
  if (result === undefined) return memory;
  const repaired = { demotedFromPrimary: false, primaryOnTimeline: undefined, divergedStuck: undefined };
  if (result.type === 'rewind') return result.ok ? { ...memory, ...repaired, rewind: 'done' } : { ...memory, rewind: 'failed' };
  if (result.type === 'reinitialize' || result.type === 'create-replica') return result.ok ? { ...memory, ...repaired, rewind: 'none' } : memory;
  if (result.type === 'crash-recovery') return memory;
  return memory;
}

/** The leader's history answered this cycle (see divergence.ts): kept for the leader and timeline it was asked about. */
function absorbLeaderHistory(input: DecideInput<HaMemory>, memory: HaMemory): HaMemory {
  const answer = input.leaderHistory;
  if (answer === undefined) return memory;
  const key = { leader: answer.leader, forTimeline: answer.forTimeline, ...(input.local.timeline === undefined ? {} : { localTimeline: input.local.timeline }) };
  return { ...memory, leaderHistory: answer.ok ? { ...key, lines: answer.lines, timeline: answer.timeline } : { ...key, failedAtMs: input.nowMs } };
}

/** `atMs` (monotonic) lies within ttl before this round. */
function withinTtl(input: DecideInput<HaMemory>, atMs: number): boolean {
  return input.nowMs - atMs <= input.settings.ttlSeconds * 1000;
}

/** A snapshot with a leader was read within ttl before this one: its holder was watched (see HaMemory.lastSeenLeaderAtMs). */
function leaderWatched(input: DecideInput<HaMemory>, memory: HaMemory): boolean {
  return memory.lastSeenLeaderAtMs !== undefined && withinTtl(input, memory.lastSeenLeaderAtMs);
}

function absorbCluster(input: DecideInput<HaMemory>, memory: HaMemory): HaMemory {
  if (!input.cluster.ok) {
    return memory.dcsUnreachableSinceMs === undefined ? { ...memory, dcsUnreachableSinceMs: input.nowMs } : memory;
  }
  const cluster = input.cluster.value;
  let next = memory;
  if (memory.dcsUnreachableSinceMs !== undefined) {
    const claim =
      input.settings.preferLastLeaderAfterDcsOutage && memory.lastSeenLeader !== undefined
        ? { name: memory.lastSeenLeader, untilMs: input.nowMs + input.settings.ttlSeconds * 1000 }
        : undefined;
    next = { ...next, dcsUnreachableSinceMs: undefined, ...(claim === undefined ? {} : { lastLeaderClaim: claim }) };
    if (isUnlocked(cluster)) next = { ...next, leaderlessSinceOutage: true };
  } else if (isUnlocked(cluster) && memory.lastReadAtMs !== undefined && !withinTtl(input, memory.lastReadAtMs)) {
    // No read failed, but none ran for longer than ttl (HaMemory.lastReadAtMs): as unsure as after an outage.
    next = { ...next, leaderlessSinceOutage: true };
  }
  next = { ...next, lastReadAtMs: input.nowMs };
  if (!isUnlocked(cluster) && cluster.leader !== undefined) {
    // A new leader: judge the divergence again (Patroni triggers its check on following a new
    // node), after a failed rewind too — the source may have died mid-rewind (the simulator saw
    // such a member stay diverged for the rest of the run, the new leader never tried).
    const newLeader = memory.lastSeenLeader !== undefined && memory.lastSeenLeader !== cluster.leader.name;
    if (newLeader && (next.rewind === 'done' || next.rewind === 'failed')) next = { ...next, rewind: 'check' };
    const published = cluster.members.find((member) => member.name === cluster.leader?.name)?.data;
    const runningOn = isPrimaryRole(published?.role) && published?.state === 'running' ? published.timeline : undefined;
    // Carried over only while the holder was watched: after a gap longer than ttl it may have been
    // demoted and promoted again unseen, under the same key. And not once its key says it no longer
    // runs as a primary: demoted (or restarted after a crash) under the key it still holds, its next
    // promotion takes a new number, maybe while we do not look (the simulator, fast profile, seed
    // 141159: node3, seen as primary on 29, promoted to 30 and to 31 under one key while the DCS was
    // out, and crashed; node2, which had streamed onto 30, took 31 too, from the same switchpoint).
    const demoted = published !== undefined && runningOn === undefined;
    const seenOn = runningOn ?? (newLeader || demoted || !leaderWatched(input, memory) ? undefined : memory.lastSeenLeaderTimeline);
    // Holding the key ourselves we watched nobody: a promotion that follows (one the race started and
    // a postmaster crash interrupted, taken again under the key) is as unsure as the race was
    // (the simulator, 2 members, seed 12070: the second try took the number the silent peer had).
    const unsure = cluster.leader.name === input.self.name ? next.leaderlessSinceOutage : undefined;
    next = { ...next, lastSeenLeader: cluster.leader.name, lastSeenLeaderTimeline: seenOn, lastSeenLeaderAtMs: input.nowMs, leaderlessSinceOutage: unsure, lastSeenMembers: cluster.members.map((member) => member.name) };
  } else if (isUnlocked(cluster) && next.lastSeenLeaderAtMs !== undefined) {
    // The key is gone: was its holder watched until then?
    next = { ...next, lastSeenLeaderAtMs: undefined, ...(leaderWatched(input, next) ? {} : { lastSeenLeaderTimeline: undefined }) };
  }
  next = withKnownMembers(next, cluster.members.map((member) => member.name));
  // The snapshot is the truth about ownership: not ours (someone else's or nobody's) means not leader.
  if (cluster.leader?.name !== input.self.name && next.isLeader) next = { ...next, isLeader: false };
  // A promotion's skipped numbers bind its retries under the key it won, not a later race, which judges afresh.
  if (cluster.leader?.name !== input.self.name && next.promotionSkippedThrough !== undefined) next = { ...next, promotionSkippedThrough: undefined };
  if (cluster.failsafe !== undefined) next = { ...next, lastFailsafe: cluster.failsafe };
  return next;
}

/**
 * Every round of a cycle starts from the same memory (the runtime passes the
 * cycle's memory again with the answers), so this is applied in every round
 * and gives the same result each time.
 */
export function absorbInput(input: DecideInput<HaMemory>): HaMemory {
  let memory: HaMemory = { ...input.memory, cycles: input.memory.cycles + 1 };
  memory = absorbActionResult(input, memory);
  memory = absorbCluster(input, memory);
  memory = absorbLeaderHistory(input, memory);
  if (memory.recovering && input.local.running && input.running === undefined) memory = { ...memory, recovering: false, crashRecoveryStartedAtMs: undefined };
  if ((memory.demotedFromPrimary || memory.primaryOnTimeline !== undefined || memory.divergedStuck === true) && isStreamingFromLeaderTimeline(input)) {
    memory = { ...memory, demotedFromPrimary: false, primaryOnTimeline: undefined, divergedStuck: undefined };
  }
  return memory;
}

/**
 * A former primary that streams from the leader on the leader's timeline has
 * rejoined: the divergence check passed when it started to follow, and its
 * WAL now comes from the leader. Keeping the "was primary" mark past that
 * point (Patroni checks once after a demotion, then stops) made a later
 * switchover candidate, which rightly receives the old leader's shutdown
 * checkpoint beyond the last published position, look diverged and rewind.
 */
function isStreamingFromLeaderTimeline(input: DecideInput<HaMemory>): boolean {
  const { local, cluster } = input;
  if (!cluster.ok || !local.running || !local.inRecovery || local.replicationState !== 'streaming') return false;
  const leaderName = cluster.value.leader?.name;
  if (leaderName === undefined || leaderName === input.self.name) return false;
  const leaderTimeline = cluster.value.members.find((member) => member.name === leaderName)?.data.timeline;
  return leaderTimeline !== undefined && local.timeline === leaderTimeline;
}

/** The snapshot's names first, then the others known before; the same memory when that changes nothing. */
function withKnownMembers(memory: HaMemory, names: readonly string[]): HaMemory {
  const current = [...new Set(names)].sort();
  const before = memory.knownMembers ?? [];
  const known = [...current, ...before.filter((name) => !current.includes(name))].slice(0, MAX_KNOWN_MEMBERS);
  return known.length === before.length && known.every((name, index) => name === before[index]) ? memory : { ...memory, knownMembers: known };
}
