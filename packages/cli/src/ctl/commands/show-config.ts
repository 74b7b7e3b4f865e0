/** `show-config`: the dynamic configuration (`/config`) as YAML; nothing when absent. */
import type { CtlContext } from '../context.js';
import { formatYaml } from '../render/config-yaml.js';

export async function showConfigCommand(ctx: CtlContext, name: string | undefined): Promise<number> {
  const cluster = await ctx.readCluster(ctx.clusterName(name));
  if (cluster.config !== undefined) ctx.io.out(formatYaml(cluster.config.data).trimEnd());
  return 0;
}
