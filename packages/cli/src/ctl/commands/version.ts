/** `version [CLUSTER [MEMBER...]]`: our version, then each member's agent and PostgreSQL versions. */
import type { CtlContext } from '../context.js';

export const CTL_VERSION = '0.1.0';

/** 150004 → 15.4; 90624 → 9.6.24. */
export function formatServerVersion(version: number): string {
  const major = Math.floor(version / 10000);
  if (major >= 10) return `${major}.${version % 10000}`;
  return `${major}.${Math.floor(version / 100) % 100}.${version % 100}`;
}

export async function versionCommand(ctx: CtlContext, clusterName: string | undefined, names: readonly string[]): Promise<number> {
  ctx.io.out(`pgwardenctl version ${CTL_VERSION}`);
  if (clusterName === undefined) return 0;
  const cluster = await ctx.readCluster(clusterName);
  ctx.io.out('');
  let failures = 0;
  for (const member of cluster.members) {
    if (!member.data.api_url || (names.length > 0 && !names.includes(member.name))) continue;
    try {
      const response = await ctx.api.call(member, 'GET', 'patroni');
      const status = response.json as { patroni?: { version?: string }; server_version?: number } | undefined;
      const postgres = typeof status?.server_version === 'number' ? ` PostgreSQL ${formatServerVersion(status.server_version)}` : '';
      ctx.io.out(`${member.name}: Patroni ${status?.patroni?.version ?? 'unknown'}${postgres}`);
    } catch (error) {
      ctx.io.out(`${member.name}: failed to get version: ${(error as Error).message}`);
      failures++;
    }
  }
  return failures === 0 ? 0 : 1;
}
