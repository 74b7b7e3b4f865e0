/**
 * `pause` / `resume` (spec/patronictl.md §3.8): `PATCH /config` with
 * `{"pause": true}` / `{"pause": null}` to the leader first, then the others,
 * until one answers. With `--wait`, follow the member keys until every member
 * that was there reports the new state, and say who did not.
 */
import { PgwardenError, type Cluster } from '@pgwarden/core';
import { isPaused } from '../cluster/cluster-view.js';
import { membersLeaderFirst } from '../cluster/select-members.js';
import { loopWaitSeconds } from '../cluster/timings.js';
import type { CtlContext } from '../context.js';
import { formatElapsed } from '../io.js';
import { describeAuthFailure } from '../rest/member-api.js';
import { createProgressReporter, waitForCluster } from './progress.js';

export async function pauseCommand(ctx: CtlContext, clusterArg: string | undefined, paused: boolean, options: { wait?: boolean }): Promise<number> {
  const name = ctx.clusterName(clusterArg);
  const cluster = await ctx.readCluster(name);
  if (isPaused(cluster) === paused) throw new PgwardenError('no-change', `Cluster is ${paused ? 'already' : 'not'} paused`);
  const word = paused ? 'paused' : 'resumed';
  for (const member of membersLeaderFirst(cluster)) {
    let response;
    try {
      response = await ctx.api.call(member, 'PATCH', 'config', { pause: paused ? true : null });
    } catch (error) {
      ctx.io.err(`Warning: member ${member.name} is not accessible: ${(error as Error).message}`);
      continue;
    }
    const auth = describeAuthFailure(member.name, response);
    if (auth !== undefined) throw new PgwardenError('rest-unauthorised', auth);
    if (response.status !== 200) {
      ctx.io.out(`Failed: ${paused ? 'pause' : 'resume'} cluster management status code=${response.status}, (${response.body.trim()})`);
      return 1;
    }
    if (!options.wait) {
      ctx.io.out(`Success: cluster management is ${word}`);
      return 0;
    }
    return waitUntilApplied(ctx, name, cluster, paused);
  }
  throw new PgwardenError('rest-unreachable', 'Can not find accessible cluster member');
}

async function waitUntilApplied(ctx: CtlContext, name: string, before: Cluster, paused: boolean): Promise<number> {
  const startMs = performance.now();
  ctx.io.out(`'${paused ? 'pause' : 'resume'}' request sent, waiting until it is recognized by all nodes`);
  const watched = new Set(before.members.filter((member) => member.data.api_url).map((member) => member.name));
  const recognised = (cluster: Cluster): boolean =>
    cluster.members.filter((member) => watched.has(member.name)).every((member) => (member.data.pause === true) === paused);
  const loopWait = loopWaitSeconds(before);
  const { reached, cluster } = await waitForCluster(ctx, createProgressReporter(ctx, name, startMs), recognised, (loopWait + 1) * 1000);
  if (!reached) {
    const laggards = (cluster?.members ?? []).filter((member) => watched.has(member.name) && (member.data.pause === true) !== paused);
    ctx.io.out(`${laggards.map((member) => member.name).join(', ')} members didn't recognized pause state after ${loopWait} seconds`);
    return 1;
  }
  ctx.io.out(`Success: cluster management is ${paused ? 'paused' : 'resumed'}`);
  ctx.io.err(`recognised by every member in ${formatElapsed(startMs, performance.now())}`);
  return 0;
}
