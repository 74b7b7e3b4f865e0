/**
 * `reinit` (spec/patronictl.md §3.7): re-create replicas from the leader.
 * Only replicas can be chosen; without names the question asks which. With
 * `--wait`, follow each member until it is no longer `creating replica`.
 */
import { PgwardenError, type Member } from '@pgwarden/core';
import { membersWithRole } from '../cluster/select-members.js';
import type { CtlContext } from '../context.js';
import { formatElapsed } from '../io.js';
import { confirmMembers, readAndSelect, reportResponse, assertAuthorised } from './member-actions.js';
import { createProgressReporter } from './progress.js';

async function start(ctx: CtlContext, member: Member, force: boolean | undefined): Promise<boolean> {
  const body = { force: force === true };
  for (;;) {
    const response = await ctx.api.call(member, 'POST', 'reinitialize', body);
    assertAuthorised(member.name, response);
    const started = reportResponse(ctx, member.name, 'reinitialize', response.status, response.body);
    if (!started && !body.force && response.body.trim().endsWith(' already in progress') && (await ctx.io.confirm('Do you want to cancel it and reinitialize anyway?'))) {
      body.force = true;
      continue;
    }
    return started;
  }
}

export async function reinitCommand(ctx: CtlContext, clusterName: string, names: readonly string[], options: { force?: boolean; wait?: boolean }): Promise<number> {
  let chosen = names;
  if (chosen.length === 0) {
    if (options.force) throw new PgwardenError('usage', 'Name the members to reinitialize (with --force there is no question to ask)');
    const cluster = await ctx.readCluster(clusterName);
    const replicas = membersWithRole(cluster, 'replica').map((member) => member.name);
    const answer = await ctx.io.prompt(`Which member do you want to reinitialize [${replicas.join(', ')}]?`, '');
    chosen = answer.split(/[\s,]+/).filter(Boolean);
    if (chosen.length === 0) throw new PgwardenError('aborted', 'Aborted reinitialize: no member chosen');
  }
  const { members } = await readAndSelect(ctx, clusterName, chosen, { role: 'replica', ...(options.force ? { force: true } : {}) }, 'replica');
  await confirmMembers(ctx, members, 'reinitialize', options.force);
  const startMs = performance.now();
  const waiting: Member[] = [];
  const before = new Map<string, string | undefined>();
  let failures = 0;
  for (const member of members) {
    if (options.wait) before.set(member.name, (await readStatus(ctx, member))?.postmaster_start_time);
    if (await start(ctx, member, options.force)) {
      if (options.wait) waiting.push(member);
    } else failures++;
  }
  if (waiting.length > 0) failures += await waitForReinit(ctx, clusterName, waiting, startMs, before);
  return failures === 0 ? 0 : 1;
}

interface PatroniStatus {
  readonly state?: string;
  readonly postmaster_start_time?: string;
}

async function readStatus(ctx: CtlContext, member: Member): Promise<PatroniStatus | undefined> {
  const response = await ctx.api.call(member, 'GET', 'patroni').catch(() => undefined);
  return response?.json as PatroniStatus | undefined;
}

const FAILED_STATES = new Set(['start failed', 'stop failed', 'restart failed', 'crashed']);

/**
 * The member may pick the request up a cycle later, and a small database is
 * copied faster than we poll: the reinitialize is over once the member runs
 * again after we saw it `creating replica` or saw its postmaster restart.
 */
async function waitForReinit(ctx: CtlContext, clusterName: string, waiting: Member[], startMs: number, before: Map<string, string | undefined>): Promise<number> {
  const reporter = createProgressReporter(ctx, clusterName, startMs);
  reporter.start();
  const sawCreating = new Set<string>();
  let shown = '';
  let failures = 0;
  try {
    while (waiting.length > 0) {
      const names = waiting.map((member) => member.name).join(', ');
      if (names !== shown) ctx.io.out(`Waiting for reinitialize to complete on: ${names}`);
      shown = names;
      await ctx.io.sleep(1000);
      for (const member of [...waiting]) {
        const status = await readStatus(ctx, member);
        if (status?.state === undefined) continue;
        if (status.state === 'creating replica' || status.state !== 'running') sawCreating.add(member.name);
        const restarted = status.postmaster_start_time !== before.get(member.name);
        const failed = FAILED_STATES.has(status.state) && sawCreating.has(member.name);
        if (!failed && !(status.state === 'running' && (sawCreating.has(member.name) || restarted))) continue;
        ctx.io.out(`Reinitialize is completed on: ${member.name}`);
        if (failed) {
          ctx.io.err(`  ${member.name} is ${status.state} after the reinitialize`);
          failures++;
        }
        waiting.splice(waiting.indexOf(member), 1);
      }
    }
  } finally {
    await reporter.stop();
  }
  ctx.io.err(`reinitialize ${failures === 0 ? 'done' : 'failed'} in ${formatElapsed(startMs, performance.now())}`);
  return failures;
}
