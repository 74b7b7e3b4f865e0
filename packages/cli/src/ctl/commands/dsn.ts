/** `dsn`: `host=H port=P` of the leader, of a member (`-m`) or of the first member with a role (`-r`). */
import { PgwardenError } from '@pgwarden/core';
import { parseConnUrl } from '../cluster/cluster-view.js';
import { membersWithRole, type RoleFilter } from '../cluster/select-members.js';
import type { CtlContext } from '../context.js';

export async function dsnCommand(ctx: CtlContext, name: string | undefined, options: { role?: RoleFilter; member?: string }): Promise<number> {
  if (options.role !== undefined && options.member !== undefined) {
    throw new PgwardenError('usage', '--role and --member are mutually exclusive options');
  }
  const cluster = await ctx.readCluster(ctx.clusterName(name));
  const role: RoleFilter = options.member !== undefined ? 'any' : (options.role ?? 'leader');
  const member = membersWithRole(cluster, role).find((candidate) => options.member === undefined || candidate.name === options.member);
  const { host, port } = parseConnUrl(member?.data.conn_url);
  if (member === undefined || host === undefined) throw new PgwardenError('member-not-found', 'Can not find a suitable member');
  ctx.io.out(`host=${host} port=${port ?? 5432}`);
  return 0;
}
