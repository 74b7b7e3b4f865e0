/**
 * What the watcher does when the leader key changes hands: old workers left
 * by earlier reloads run no health checks, so it asks them to cut their
 * primary-backend sessions to every member but the new leader (the server
 * names are those the renderer gives, so they match the running config).
 */
import type { Cluster } from '@pgwarden/core';
import type { HaproxyGenLogger } from './logger.js';
import { cutOldWorkerSessions } from './old-workers.js';
import { routableMembers } from './render-config.js';
import { serverNames } from './server-lines.js';

/** `pgwarden_primary/<server>` of every routable member except `leader`. */
export function formerPrimaryServers(cluster: Cluster, leader: string | undefined): string[] {
  const { members } = routableMembers(cluster);
  const names = serverNames(members);
  return members.filter((member) => member.name !== leader).map((member) => `pgwarden_primary/${names.get(member.name) ?? member.name}`);
}

/** Never throws: failing to cut is logged, and routing by health checks goes on regardless. */
export async function cutFormerPrimarySessions(cluster: Cluster, masterSocket: string, logger: HaproxyGenLogger): Promise<void> {
  const leader = cluster.leader?.name || undefined;
  const servers = formerPrimaryServers(cluster, leader);
  try {
    const result = await cutOldWorkerSessions(masterSocket, servers);
    if (result.oldWorkers.length > 0) {
      logger.info({ leader, oldWorkers: result.oldWorkers, sessions: result.cut.length }, "leader changed: cut old workers' sessions to former primaries");
    }
  } catch (error) {
    logger.warn({ leader, message: error instanceof Error ? error.message : String(error) }, "leader changed but old workers' sessions could not be cut");
  }
}
