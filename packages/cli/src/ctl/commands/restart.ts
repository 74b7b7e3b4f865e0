/**
 * `restart` (spec/patronictl.md §3.5): `POST /restart` on each selected
 * member, one after the other, with the filters given (`--pending`,
 * `--pg-version`, `--timeout`, `--scheduled`). An immediate restart is
 * synchronous on the member, so we follow the cluster meanwhile and end with
 * the outcome and the time it took.
 */
import { PgwardenError } from '@pgwarden/core';
import { isPaused } from '../cluster/cluster-view.js';
import type { RoleFilter } from '../cluster/select-members.js';
import type { CtlContext } from '../context.js';
import { formatElapsed } from '../io.js';
import { confirmMembers, readAndSelect, assertAuthorised } from './member-actions.js';
import { createProgressReporter } from './progress.js';
import { exampleInOneHour, parseScheduled } from './schedule.js';

export interface RestartOptions {
  readonly role?: RoleFilter;
  readonly any?: boolean;
  readonly scheduled?: string;
  readonly pgVersion?: string;
  readonly pending?: boolean;
  readonly timeout?: string;
  readonly force?: boolean;
}

const VERSION_PATTERN = /^\d+(\.\d+){1,2}$/;

function randomPick<T>(items: readonly T[]): T[] {
  const item = items[Math.floor(Math.random() * items.length)];
  return item === undefined ? [] : [item];
}

async function buildBody(ctx: CtlContext, options: RestartOptions, paused: boolean): Promise<Record<string, unknown>> {
  const scheduledText =
    options.scheduled ??
    (options.force ? 'now' : await ctx.io.prompt(`When should the restart take place (e.g. ${exampleInOneHour(ctx.io.now())}) `, 'now'));
  const body: Record<string, unknown> = {};
  if (options.pending) body['restart_pending'] = true;
  const version =
    options.pgVersion ?? (options.force ? '' : await ctx.io.prompt('Restart if the PostgreSQL version is less than provided (e.g. 9.5.2) ', ''));
  if (version !== '') {
    if (!VERSION_PATTERN.test(version)) throw new PgwardenError('invalid-version', `Invalid PostgreSQL version format: ${version} (e.g. 15.4 or 9.6.24)`);
    body['postgres_version'] = version;
  }
  const scheduledAt = parseScheduled(scheduledText);
  if (scheduledAt !== undefined) {
    if (paused) throw new PgwardenError('paused', "Can't schedule restart in the paused state");
    body['schedule'] = scheduledAt;
  }
  if (options.timeout !== undefined) body['timeout'] = options.timeout;
  return body;
}

export async function restartCommand(ctx: CtlContext, clusterName: string, names: readonly string[], options: RestartOptions): Promise<number> {
  const { cluster, members: selected } = await readAndSelect(ctx, clusterName, names, options);
  const body = await buildBody(ctx, options, isPaused(cluster));
  const members = options.any ? randomPick(selected) : selected;
  await confirmMembers(ctx, members, 'restart', options.force, body['schedule'] as string | undefined);
  const startMs = performance.now();
  let failures = 0;
  for (const member of members) {
    if (body['schedule'] !== undefined && options.force && member.data.scheduled_restart !== undefined) {
      const flushed = await ctx.api.call(member, 'DELETE', 'restart');
      if (flushed.status >= 400) ctx.io.out(`Failed: flush scheduled restart for member ${member.name}, status code=${flushed.status}, (${flushed.body.trim()})`);
    }
    const reporter = createProgressReporter(ctx, clusterName, startMs);
    if (body['schedule'] === undefined) {
      ctx.io.err(`Restarting ${member.name}...`);
      reporter.start();
    }
    const response = await ctx.api.call(member, 'POST', 'restart', body, 600_000).finally(() => reporter.stop());
    assertAuthorised(member.name, response);
    if (response.status === 200) ctx.io.out(`Success: restart on member ${member.name}`);
    else if (response.status === 202) ctx.io.out(`Success: restart scheduled on member ${member.name}`);
    else if (response.status === 409) ctx.io.out(`Failed: another restart is already scheduled on member ${member.name}`);
    else ctx.io.out(`Failed: restart for member ${member.name}, status code=${response.status}, (${response.body.trim()})`);
    if (response.status >= 300) failures++;
  }
  if (body['schedule'] === undefined) {
    ctx.io.err(`restart ${failures === 0 ? 'done' : `finished with ${failures} failure(s)`}: ${members.length} member(s) in ${formatElapsed(startMs, performance.now())}`);
  }
  return failures === 0 ? 0 : 1;
}
