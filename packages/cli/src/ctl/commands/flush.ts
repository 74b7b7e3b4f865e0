/**
 * `flush CLUSTER [MEMBER...] restart|switchover` (spec/patronictl.md §3.12):
 * cancel scheduled restarts on members, or the scheduled switchover (through
 * the API, else by clearing `/failover` with compare-and-swap).
 */
import { PgwardenError } from '@pgwarden/core';
import { membersLeaderFirst, type RoleFilter } from '../cluster/select-members.js';
import type { CtlContext } from '../context.js';
import { formatLocalTimestamp } from '../io.js';
import { confirmMembers, readAndSelect, reportResponse, assertAuthorised } from './member-actions.js';

export async function flushCommand(ctx: CtlContext, clusterName: string, rest: readonly string[], options: { role?: RoleFilter; force?: boolean }): Promise<number> {
  const target = rest[rest.length - 1];
  const names = rest.slice(0, -1);
  if (target !== 'restart' && target !== 'switchover') {
    throw new PgwardenError('usage', `flush needs what to flush last: restart or switchover (got ${target ?? 'nothing'})`);
  }
  if (target === 'restart') {
    const { members } = await readAndSelect(ctx, clusterName, names, options);
    await confirmMembers(ctx, members, 'flush', options.force);
    let failures = 0;
    for (const member of members) {
      if (member.data.scheduled_restart === undefined) {
        ctx.io.out(`No scheduled restart for member ${member.name}`);
        continue;
      }
      const response = await ctx.api.call(member, 'DELETE', 'restart');
      assertAuthorised(member.name, response);
      if (!reportResponse(ctx, member.name, 'flush scheduled restart', response.status, response.body)) failures++;
    }
    return failures === 0 ? 0 : 1;
  }
  return flushSwitchover(ctx, clusterName);
}

async function flushSwitchover(ctx: CtlContext, clusterName: string): Promise<number> {
  const cluster = await ctx.readCluster(clusterName);
  const failover = cluster.failover;
  if (failover?.scheduledAt === undefined) {
    ctx.io.out('No pending scheduled switchover');
    return 0;
  }
  for (const member of membersLeaderFirst(cluster)) {
    try {
      const response = await ctx.api.call(member, 'DELETE', 'switchover');
      if (response.status === 200 || response.status === 404) {
        ctx.io.out(`${response.status === 200 ? 'Success' : 'Failed'}: ${response.body.trim()}`);
        return response.status === 200 ? 0 : 1;
      }
      ctx.io.out(`Failed: member=${member.name}, status_code=${response.status}, (${response.body.trim()})`);
    } catch (error) {
      ctx.io.err(`Warning: member ${member.name} is not accessible: ${(error as Error).message}`);
    }
  }
  ctx.io.out(`${formatLocalTimestamp(ctx.io.now())} Could not find any accessible member of cluster ${clusterName}`);
  const written = await (await ctx.dcs(clusterName)).setFailover({}, failover.version);
  if (!written.ok) throw new PgwardenError('dcs-write-failed', `Could not clear the failover key: ${written.message}`);
  return 0;
}
