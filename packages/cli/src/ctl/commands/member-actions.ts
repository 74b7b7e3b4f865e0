/**
 * The shared first half of `restart`, `reload`, `reinit` and `flush`
 * (spec/patronictl.md §3.14): read the cluster, show it unless `--force`
 * without a role, pick the members, and confirm with their names.
 */
import { PgwardenError, type Cluster, type Member } from '@pgwarden/core';
import { selectNamedMembers, type RoleFilter } from '../cluster/select-members.js';
import type { CtlContext } from '../context.js';
import { renderMembers } from '../render/members-table.js';
import { describeAuthFailure, type ApiResponse } from '../rest/member-api.js';

export interface SelectOptions {
  readonly role?: RoleFilter;
  readonly force?: boolean;
}

export async function readAndSelect(
  ctx: CtlContext,
  clusterName: string,
  names: readonly string[],
  options: SelectOptions,
  defaultRole: RoleFilter = 'any',
): Promise<{ cluster: Cluster; members: Member[] }> {
  const cluster = await ctx.readCluster(clusterName);
  if (!options.force || options.role !== undefined) ctx.io.out(renderMembers(cluster, { clusterName, format: 'pretty' }));
  const members = selectNamedMembers(cluster, clusterName, names, options.role ?? defaultRole);
  return { cluster, members };
}

export async function confirmMembers(ctx: CtlContext, members: readonly Member[], action: string, force: boolean | undefined, scheduledAt?: string): Promise<void> {
  if (force) return;
  const names = members.map((member) => member.name).join(', ');
  const question = scheduledAt
    ? `Are you sure you want to schedule ${action} of members ${names} at ${scheduledAt}?`
    : `Are you sure you want to ${action} members ${names}?`;
  if (!(await ctx.io.confirm(question))) throw new PgwardenError('aborted', scheduledAt ? `Aborted scheduled ${action}` : `Aborted ${action}`);
}

/** `Failed: <action> for member X, status code=N, (body)` or `Success: <action> for member X`. */
export function reportResponse(ctx: CtlContext, member: string, action: string, status: number, body: string, silentSuccess = false): boolean {
  if (status >= 400) {
    ctx.io.out(`Failed: ${action} for member ${member}, status code=${status}, (${body.trim()})`);
    return false;
  }
  if (!silentSuccess) ctx.io.out(`Success: ${action} for member ${member}`);
  return true;
}

/** 401/403 stop the command: every other member would refuse the same way, and the fix is in the config. */
export function assertAuthorised(member: string, response: ApiResponse): void {
  const message = describeAuthFailure(member, response);
  if (message !== undefined) throw new PgwardenError('rest-unauthorised', message);
}
