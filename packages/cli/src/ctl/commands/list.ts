/** `list` and `topology`: the members table of each cluster named (default: scope). */
import { formatLocalTimestamp } from '../io.js';
import type { CtlContext } from '../context.js';
import { renderMembers } from '../render/members-table.js';
import type { OutputFormat } from '../render/output.js';
import { repeatView } from './watch.js';

export interface ListOptions {
  readonly extended?: boolean;
  readonly timestamp?: boolean;
  readonly format: OutputFormat;
  readonly watchSeconds?: number;
}

export async function listCommand(ctx: CtlContext, names: readonly string[], options: ListOptions): Promise<number> {
  const clusters = names.length > 0 ? [...names] : [ctx.clusterName(undefined)];
  return repeatView(ctx.io, options.watchSeconds, async () => {
    for (const name of clusters) {
      const cluster = await ctx.readCluster(name);
      if (options.timestamp) ctx.io.out(formatLocalTimestamp(ctx.io.now()));
      ctx.io.out(renderMembers(cluster, { clusterName: name, extended: options.extended ?? false, format: options.format }));
    }
  });
}
