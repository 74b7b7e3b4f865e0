/** `reload` (spec/patronictl.md §3.6): `POST /reload` on each selected member. */
import type { RoleFilter } from '../cluster/select-members.js';
import { loopWaitSeconds } from '../cluster/timings.js';
import type { CtlContext } from '../context.js';
import { confirmMembers, readAndSelect, assertAuthorised } from './member-actions.js';

export async function reloadCommand(ctx: CtlContext, clusterName: string, names: readonly string[], options: { role?: RoleFilter; force?: boolean }): Promise<number> {
  const { cluster, members } = await readAndSelect(ctx, clusterName, names, options);
  await confirmMembers(ctx, members, 'reload', options.force);
  let failures = 0;
  for (const member of members) {
    const response = await ctx.api.call(member, 'POST', 'reload');
    assertAuthorised(member.name, response);
    if (response.status === 200) ctx.io.out(`No changes to apply on member ${member.name}`);
    else if (response.status === 202) {
      ctx.io.out(`Reload request received for member ${member.name} and will be processed within ${loopWaitSeconds(cluster)} seconds`);
    } else {
      ctx.io.out(`Failed: reload for member ${member.name}, status code=${response.status}, (${response.body.trim()})`);
      failures++;
    }
  }
  return failures === 0 ? 0 : 1;
}
