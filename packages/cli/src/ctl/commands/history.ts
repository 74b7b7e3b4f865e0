/** `history`: the timeline history of the cluster from `/history`. */
import type { CtlContext } from '../context.js';
import { buildHistoryTable } from '../render/history-table.js';
import { renderTable, type OutputFormat } from '../render/output.js';

export async function historyCommand(ctx: CtlContext, name: string | undefined, format: OutputFormat): Promise<number> {
  const cluster = await ctx.readCluster(ctx.clusterName(name));
  ctx.io.out(renderTable(buildHistoryTable(cluster.history?.lines ?? []), format));
  return 0;
}
