/**
 * A switchover/failover request seen by the lock owner (spec/ha-loop.md
 * §9.2). Either it starts a graceful demotion (the winner of the following
 * race clears the key), or it explains why not and clears the request.
 */
import type { Action } from '../../model/actions.js';
import type { Context, Decision } from '../context.js';
import { decision, isRunningPrimary } from '../context.js';
import type { HaMemory } from '../memory.js';
import { failoverVerdicts } from '../takeover.js';
import { historyActions } from './enforce-primary.js';
import type { CandidateVerdict } from '../rank-candidates.js';

export type ManualOutcome =
  | { readonly kind: 'none'; readonly actions: readonly Action[]; readonly reason?: string; readonly memory?: Partial<HaMemory>; readonly wakeUpAtMs?: number }
  | { readonly kind: 'decided'; readonly decision: Decision };

const none = (actions: readonly Action[] = [], reason?: string, extra: { memory?: Partial<HaMemory>; wakeUpAtMs?: number } = {}): ManualOutcome => ({
  kind: 'none',
  actions,
  ...(reason === undefined ? {} : { reason }),
  ...extra,
});

/** How often a switchover waiting for its candidate to stream looks again. */
const STREAM_WAIT_RECHECK_MS = 1000;

/** The members whose walreceiver streams from us directly (pg_stat_replication's application_name). */
function streamingFromUs(ctx: Context): Set<string> {
  return new Set(ctx.input.local.replication.filter((row) => row.state === 'streaming').map((row) => row.applicationName));
}

/**
 * The members a switchover could hand over to that do not stream from us yet,
 * in words; undefined when one of them does (or cascades through another
 * member, which we cannot see). A clean shutdown sends every WAL record,
 * its own checkpoint included, to the standbys connected at that moment and
 * to nobody else: demoting while the candidate is still (re)connecting — a
 * switchover straight after another one — leaves it without our last WAL, and
 * the promotion forks the history before it (lost writes, a rewind for the
 * old primary). Patroni demotes anyway.
 */
function notStreamingYet(ctx: Context, verdicts: readonly CandidateVerdict[]): string | undefined {
  const candidate = ctx.cluster.failover?.candidate;
  const wanted = verdicts.filter((verdict) => verdict.eligible && (candidate === undefined || candidate === '' || verdict.name === candidate)).map((verdict) => verdict.name);
  if (wanted.length === 0) return undefined;
  const streaming = streamingFromUs(ctx);
  const cascades = (name: string): boolean => {
    const tag = ctx.cluster.members.find((member) => member.name === name)?.data.tags?.['replicatefrom'];
    return typeof tag === 'string' && tag !== '' && tag !== ctx.name;
  };
  if (wanted.some((name) => streaming.has(name) || cascades(name))) return undefined;
  return wanted.join(', ');
}

/**
 * The candidate a switchover's demotion hands the leader key to in its
 * release (no race: one DCS write fewer while no member takes writes), or
 * undefined for the plain release. Only a named candidate that the ranking
 * found eligible and that streams from us directly: a clean shutdown sends
 * it every WAL record, the shutdown checkpoint included, before the
 * postmaster exits, and the candidate still checks its position against the
 * `/status` the same write publishes (own-lock.ts). Not while paused (the
 * candidate of a paused switchover waits for the operator), not in quorum
 * mode (a promotion there needs the peers' positions), not in a standby
 * cluster. Beyond Patroni, whose leader always deletes the key; a Patroni
 * candidate handed it promotes as a key holder does.
 */
function handOverTarget(ctx: Context, verdicts: readonly CandidateVerdict[]): string | undefined {
  const failover = ctx.cluster.failover;
  const candidate = failover?.candidate;
  const { settings } = ctx.input;
  if (!failover?.leader || candidate === undefined || candidate === '' || candidate === ctx.name) return undefined;
  if (ctx.paused || settings.synchronousMode === 'quorum' || settings.standbyCluster !== undefined || !isRunningPrimary(ctx)) return undefined;
  if (!verdicts.some((verdict) => verdict.name === candidate && verdict.eligible)) return undefined;
  return streamingFromUs(ctx).has(candidate) ? candidate : undefined;
}

/** Patroni's scheduled window: due when -int(1.5*loop_wait) <= delta <= loop_wait. */
export function scheduleStatus(scheduledAt: string, nowMs: number, loopWaitSeconds: number): 'due' | 'later' | 'stale' | 'invalid' {
  const at = Date.parse(scheduledAt);
  if (Number.isNaN(at)) return 'invalid';
  const deltaSeconds = (at - nowMs) / 1000;
  if (deltaSeconds > loopWaitSeconds) return 'later';
  if (deltaSeconds < -Math.trunc(1.5 * loopWaitSeconds)) return 'stale';
  return 'due';
}

export function manualFailoverFromLeader(ctx: Context): ManualOutcome {
  const failover = ctx.cluster.failover;
  if (failover === undefined || (ctx.paused && !isRunningPrimary(ctx))) return none();
  const action = failover.leader ? 'switchover' : 'manual failover';
  const clear: Action = { type: 'clear-failover', version: failover.version };
  if (failover.scheduledAt !== undefined) {
    if (ctx.paused) return none();
    const status = scheduleStatus(failover.scheduledAt, ctx.input.wallNowMs ?? ctx.input.nowMs, ctx.input.settings.loopWaitSeconds);
    if (status === 'later') return none([], `Awaiting ${action} at ${failover.scheduledAt}`);
    if (status !== 'due') return none([clear], `scheduled ${action} is ${status}: cleared`);
  }
  if (failover.leader && failover.leader !== ctx.name) {
    return none([clear], `leader name does not match: ${failover.leader} != ${ctx.name}`);
  }
  if (failover.candidate === ctx.name) return none([clear], `I am already the leader, no need to ${action}`);
  if (!failover.candidate && ctx.paused) return none([clear], `${action} is possible only to a specific candidate in a paused state`);
  const competitors = ctx.cluster.members.filter((member) => member.name !== ctx.name).map((member) => member.name);
  if (ctx.input.peers === undefined && competitors.length > 0) {
    return {
      kind: 'decided',
      decision: decision(ctx, { ruleId: 'manual-failover.ask-peers', message: `checking candidates for ${action}`, actions: [{ type: 'fetch-peer-status', members: competitors }], awaiting: 'peers' }),
    };
  }
  const verdicts = failoverVerdicts(ctx, ctx.input.peers ?? [], { manualFailover: !failover.leader });
  if (!verdicts.some((verdict) => verdict.eligible)) {
    const why = verdicts.map((verdict) => `${verdict.name}: ${verdict.explanation}`).join('; ');
    return none([clear], `no healthy members found, ${action} is not possible${why ? ` (${why})` : ''}`);
  }
  const waitingFor = failover.leader ? notStreamingYet(ctx, verdicts) : undefined;
  if (waitingFor !== undefined) {
    const sinceMs = ctx.memory.switchoverWait?.version === failover.version ? ctx.memory.switchoverWait.sinceMs : ctx.input.nowMs;
    const boundMs = Math.max(10, ctx.input.settings.loopWaitSeconds) * 1000;
    if (ctx.input.nowMs - sinceMs >= boundMs) {
      return none([clear], `switchover cancelled: ${waitingFor} did not stream from me within ${boundMs / 1000} s, and demoting without it would lose the WAL it has not received`, { memory: { switchoverWait: undefined } });
    }
    return none([], `switchover: waiting for ${waitingFor} to stream from me before demoting`, {
      memory: { switchoverWait: { version: failover.version, sinceMs } },
      wakeUpAtMs: ctx.input.nowMs + STREAM_WAIT_RECHECK_MS,
    });
  }
  // A primary asked to step down before its first leader cycle wrote its new timeline to
  // /history (a switchover right after its promotion) writes it first: the next leader must
  // know the timeline was used, or it promotes to the same number and this member's
  // shutdown checkpoint on it cannot be rewound (see timelineInUse).
  const history = isRunningPrimary(ctx) ? historyActions(ctx) : [];
  const handOverTo = handOverTarget(ctx, verdicts);
  return {
    kind: 'decided',
    decision: decision(ctx, {
      ruleId: `manual-failover.${failover.leader ? 'switchover' : 'failover'}-demote`,
      message: `${action}: demoting myself`,
      actions: [...history, { type: 'demote', mode: 'graceful', ...(handOverTo === undefined ? {} : { handOverTo }) }],
      memory: { isLeader: false, demotedFromPrimary: true, switchoverWait: undefined },
    }),
  };
}
