/**
 * `remove` (spec/patronictl.md §3.13): delete everything the DCS holds for a
 * cluster, after the cluster name is typed, then `Yes I am aware`, then —
 * when it still has a leader — the leader's name. No `--force`: this is the
 * one command that must never run by accident.
 */
import { PgwardenError } from '@pgwarden/core';
import { isStandbyCluster, leaderName } from '../cluster/cluster-view.js';
import type { CtlContext } from '../context.js';
import { renderMembers } from '../render/members-table.js';
import type { OutputFormat } from '../render/output.js';

const AWARE = 'Yes I am aware';

export async function removeCommand(ctx: CtlContext, clusterName: string, format: OutputFormat): Promise<number> {
  const cluster = await ctx.readCluster(clusterName);
  ctx.io.out(renderMembers(cluster, { clusterName, format }));
  if ((await ctx.io.prompt('Please confirm the cluster name to remove')) !== clusterName) {
    throw new PgwardenError('aborted', 'Cluster names specified do not match');
  }
  const typed = await ctx.io.prompt(`You are about to remove all information in DCS for ${clusterName}, please type: "${AWARE}"`);
  if (typed !== AWARE) throw new PgwardenError('aborted', `You did not exactly type "${AWARE}"`);
  const leader = leaderName(cluster);
  if (leader !== undefined) {
    const label = isStandbyCluster(cluster) ? 'standby leader' : 'leader';
    if ((await ctx.io.prompt(`This cluster currently is healthy. Please specify the ${label} name to continue`)) !== leader) {
      throw new PgwardenError('aborted', `You did not specify the current ${label} of the cluster`);
    }
  }
  const deleted = await (await ctx.dcs(clusterName)).deleteCluster();
  if (!deleted.ok) throw new PgwardenError('dcs-write-failed', `Could not remove cluster ${clusterName}: ${deleted.message}`);
  ctx.io.err(`Removed every key of cluster ${clusterName} from the DCS`);
  return 0;
}
