/**
 * `switchover` and `failover` (spec/patronictl.md §3.3–3.4): choose leader and
 * candidate (asking unless given or `--force`), check the candidate can be
 * promoted and say why not, confirm, `POST /switchover` (or `/failover`) to
 * the leader — to the candidate when there is no leader — falling back to a
 * direct `/failover` write when no API answers, then follow the cluster until
 * it settles, and end with the outcome and the time it took.
 */
import { PgwardenError, type Cluster, type Member } from '@pgwarden/core';
import { candidateEligibility, switchoverCandidates } from '../cluster/candidates.js';
import { isSettled } from '../cluster/cluster-summary.js';
import { isPaused, isStandbyCluster, leaderName } from '../cluster/cluster-view.js';
import { loopWaitSeconds } from '../cluster/timings.js';
import type { CtlContext } from '../context.js';
import { formatElapsed, formatLocalTimestamp } from '../io.js';
import { renderMembers } from '../render/members-table.js';
import { describeAuthFailure } from '../rest/member-api.js';
import { createProgressReporter, waitForCluster } from './progress.js';
import { exampleInOneHour, parseScheduled } from './schedule.js';

export interface SwitchoverOptions {
  readonly leader?: string;
  readonly candidate?: string;
  readonly scheduled?: string;
  readonly force?: boolean;
}

type Action = 'switchover' | 'failover';

function printTopology(ctx: CtlContext, cluster: Cluster, name: string): void {
  ctx.io.out(renderMembers(cluster, { clusterName: name, format: 'pretty' }));
}

async function chooseLeader(ctx: CtlContext, cluster: Cluster, name: string, options: SwitchoverOptions): Promise<string> {
  const current = leaderName(cluster);
  if (current === undefined) throw new PgwardenError('no-leader', 'This cluster has no leader');
  const label = isStandbyCluster(cluster) ? 'Standby Leader' : 'Primary';
  const chosen = options.leader ?? (options.force ? current : await ctx.io.prompt(label, current));
  if (chosen !== current) throw new PgwardenError('not-leader', `Member ${chosen} is not the leader of cluster ${name}`);
  return chosen;
}

async function chooseCandidate(ctx: CtlContext, cluster: Cluster, name: string, action: Action, options: SwitchoverOptions): Promise<string | undefined> {
  const leader = leaderName(cluster);
  const candidates = switchoverCandidates(cluster);
  if (candidates.length === 0) throw new PgwardenError('no-candidates', `No candidates found to ${action} to`);
  let candidate = options.candidate;
  if (candidate === undefined && !options.force) {
    candidate = await ctx.io.prompt(`Candidate [${candidates.map((item) => `'${item}'`).join(', ')}]`, '');
  }
  if (candidate === '' || candidate === undefined) {
    if (action === 'failover') throw new PgwardenError('no-candidate', 'Failover could be performed only to a specific candidate');
    checkSomeoneEligible(cluster, candidates, action);
    return undefined;
  }
  if (candidate === leader) throw new PgwardenError('candidate-is-leader', `Member ${candidate} is already the leader of cluster ${name}`);
  const member = cluster.members.find((item) => item.name === candidate);
  if (member === undefined) {
    throw new PgwardenError('member-not-found', `Member ${candidate} does not exist in cluster ${name} or is tagged as nofailover`);
  }
  checkEligible(ctx, cluster, member, action);
  return candidate;
}

/** Without a named candidate, at least one must be promotable; otherwise say why for each (INCIDENTS #7). */
function checkSomeoneEligible(cluster: Cluster, names: readonly string[], action: Action): void {
  const reasons = names.map((name) => {
    const member = cluster.members.find((item) => item.name === name);
    return { name, blockers: member === undefined ? ['it is gone'] : candidateEligibility(cluster, member, action).blockers };
  });
  if (reasons.every((entry) => entry.blockers.length > 0)) {
    const detail = reasons.map((entry) => `${entry.name}: ${entry.blockers.join(', ')}`).join('; ');
    throw new PgwardenError('candidate-not-eligible', `No member is eligible for ${action}: ${detail}`);
  }
}

function checkEligible(ctx: CtlContext, cluster: Cluster, member: Member, action: Action): void {
  const { blockers, warnings } = candidateEligibility(cluster, member, action);
  if (blockers.length > 0) {
    throw new PgwardenError('candidate-not-eligible', `Member ${member.name} is not eligible for ${action}: ${blockers.join('; ')}`);
  }
  for (const warning of warnings) ctx.io.err(`Warning: member ${member.name}: ${warning}`);
}

async function chooseSchedule(ctx: CtlContext, cluster: Cluster, action: Action, options: SwitchoverOptions): Promise<string | undefined> {
  if (action === 'failover') return undefined;
  const text =
    options.scheduled ??
    (options.force ? 'now' : await ctx.io.prompt(`When should the switchover take place (e.g. ${exampleInOneHour(ctx.io.now())} ) `, 'now'));
  const scheduledAt = parseScheduled(text);
  if (scheduledAt !== undefined && isPaused(cluster)) throw new PgwardenError('paused', "Can't schedule switchover in the paused state");
  return scheduledAt;
}

async function confirm(ctx: CtlContext, name: string, action: Action, leader: string | undefined, candidate: string | undefined, scheduledAt: string | undefined, cluster: Cluster, force: boolean | undefined): Promise<void> {
  if (force) return;
  const sync = cluster.sync;
  if (action === 'failover' && candidate !== undefined && sync !== undefined && sync.syncStandbys.length > 0 && !sync.syncStandbys.includes(candidate)) {
    if (!(await ctx.io.confirm(`Are you sure you want to failover to the asynchronous node ${candidate}?`))) throw new PgwardenError('aborted', 'Aborting failover');
  }
  const target = candidate === undefined ? 'the healthiest replica' : candidate;
  const demoting = leader !== undefined ? `, demoting current leader ${leader}` : '';
  ctx.io.out(`Plan: ${action} of cluster ${name}${leader ? ` from ${leader}` : ''} to ${target}${scheduledAt ? ` at ${scheduledAt}` : ' now'}.`);
  const question = scheduledAt
    ? `Are you sure you want to schedule ${action} of cluster ${name} at ${scheduledAt}${demoting}?`
    : `Are you sure you want to ${action} cluster ${name}${demoting}?`;
  if (!(await ctx.io.confirm(question))) throw new PgwardenError('aborted', scheduledAt ? `Aborting scheduled ${action}` : `Aborting ${action}`);
}

export async function switchoverCommand(ctx: CtlContext, clusterArg: string | undefined, action: Action, options: SwitchoverOptions): Promise<number> {
  const name = ctx.clusterName(clusterArg);
  const cluster = await ctx.readCluster(name);
  ctx.io.out('Current cluster topology');
  printTopology(ctx, cluster, name);
  const leader = action === 'switchover' ? await chooseLeader(ctx, cluster, name, options) : leaderName(cluster);
  const candidate = await chooseCandidate(ctx, cluster, name, action, options);
  const scheduledAt = await chooseSchedule(ctx, cluster, action, options);
  await confirm(ctx, name, action, leader, candidate, scheduledAt, cluster, options.force);
  const body: Record<string, string> = {};
  if (leader !== undefined && action === 'switchover') body['leader'] = leader;
  if (candidate !== undefined) body['candidate'] = candidate;
  if (scheduledAt !== undefined) body['scheduled_at'] = scheduledAt;
  return sendAndFollow(ctx, name, cluster, action, body);
}

async function sendAndFollow(ctx: CtlContext, name: string, cluster: Cluster, action: Action, body: Record<string, string>): Promise<number> {
  const startMs = performance.now();
  const oldLeader = leaderName(cluster);
  const target = cluster.members.find((member) => member.name === (oldLeader ?? body['candidate']));
  const timeoutMs = (2 * Math.max(10, loopWaitSeconds(cluster)) + 15) * 1000;
  const reporter = createProgressReporter(ctx, name, startMs);
  if (body['scheduled_at'] === undefined) reporter.start();
  let outcome: 'ok' | 'failed' | 'fallback' | 'unknown';
  try {
    if (target === undefined) throw new PgwardenError('rest-unreachable', 'no member to send the request to');
    let response = await ctx.api.call(target, 'POST', action, body, timeoutMs);
    if (response.status === 501 && action === 'switchover') response = await ctx.api.call(target, 'POST', 'failover', body, timeoutMs);
    if (response.status === 200 || response.status === 202) {
      ctx.io.out(`${formatLocalTimestamp(ctx.io.now())} ${response.body.trim()}`);
      outcome = 'ok';
    } else if (response.status === 503 && /status unknown/i.test(response.body)) {
      // The member stopped waiting, the hand-over may still finish: say where it stood and keep following it.
      ctx.io.out(`${action === 'switchover' ? 'Switchover' : 'Failover'} failed, details: ${response.status}, ${response.body.trim()}`);
      ctx.io.err(`  still following the cluster until the ${action} finishes or the wait ends`);
      outcome = 'unknown';
    } else {
      ctx.io.out(`${action === 'switchover' ? 'Switchover' : 'Failover'} failed, details: ${response.status}, ${response.body.trim()}`);
      const auth = describeAuthFailure(target.name, response);
      if (auth !== undefined) ctx.io.err(auth);
      outcome = 'failed';
    }
  } catch (error) {
    if (!(error instanceof PgwardenError) || error.code !== 'rest-unreachable') throw error;
    ctx.io.out(`${formatLocalTimestamp(ctx.io.now())} Could not ${action} using Patroni api, falling back to DCS`);
    ctx.io.err(`  (${error.message})`);
    const dcs = await ctx.dcs(name);
    const written = await dcs.setFailover({ ...(body['leader'] ? { leader: body['leader'] } : {}), ...(body['candidate'] ? { member: body['candidate'] } : {}), ...(body['scheduled_at'] ? { scheduled_at: body['scheduled_at'] } : {}) });
    if (!written.ok) throw new PgwardenError('dcs-unreachable', `Could not write the failover key: ${written.message}`);
    outcome = 'fallback';
  }
  await reporter.stop();
  if (outcome === 'failed') return 1;
  if (body['scheduled_at'] !== undefined) {
    printTopology(ctx, await ctx.readCluster(name), name);
    return 0;
  }
  return followUntilSettled(ctx, name, action, oldLeader, body['candidate'], startMs, reporter, timeoutMs);
}

async function followUntilSettled(ctx: CtlContext, name: string, action: Action, oldLeader: string | undefined, candidate: string | undefined, startMs: number, reporter: ReturnType<typeof createProgressReporter>, timeoutMs: number): Promise<number> {
  const { reached, cluster } = await waitForCluster(
    ctx,
    reporter,
    (current) => leaderName(current) !== undefined && leaderName(current) !== oldLeader && isSettled(current),
    timeoutMs,
  );
  const final = cluster ?? (await ctx.readCluster(name));
  printTopology(ctx, final, name);
  const newLeader = leaderName(final);
  const elapsed = formatElapsed(startMs, performance.now());
  if (newLeader !== undefined && newLeader !== oldLeader) {
    const instead = candidate !== undefined && candidate !== newLeader ? ` (instead of ${candidate})` : '';
    ctx.io.err(`${action} done: ${newLeader} is the new leader${instead}; ${reached ? 'every member is back' : 'not every member is back yet'} (${elapsed})`);
    return 0;
  }
  ctx.io.err(`${action} not done after ${elapsed}: the leader is still ${newLeader ?? 'nobody'}; see the agents' logs`);
  return 1;
}
