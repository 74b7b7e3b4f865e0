/**
 * Whether this member is healthy enough to take over (spec/ha-loop.md §8.2):
 * conservative on purpose. We lose if any reachable peer says it is primary,
 * is ahead of us, or is level with a strictly higher failover_priority.
 * Unreachable peers never disqualify us (they may be the dead primary).
 */
import { failoverPriority } from '../model/cluster-helpers.js';
import type { PeerStatus } from '../model/local-state.js';
import { exceedsMaximumLag, formatBytes, formatLsn, lagBytes } from './lag.js';

export interface TakeoverInput {
  readonly selfName: string;
  readonly myWalPosition: number;
  readonly myPriority: number;
  readonly peers: readonly PeerStatus[];
  /** Cluster's last known leader LSN; undefined skips the lag check (manual failover). */
  readonly leaderLsn?: number;
  readonly maximumLagBytes: number;
  /** Sync mode: the former primary named as `/sync` leader may be ahead; ignore it. */
  readonly syncLeader?: string;
  /** Anti-flapping: ignore the priority tie-break (we are the last leader reclaiming). */
  readonly ignorePriorityTie?: boolean;
}

export interface TakeoverVerdict {
  readonly healthy: boolean;
  readonly reason: string;
}

export function assessTakeover(input: TakeoverInput): TakeoverVerdict {
  if (input.leaderLsn !== undefined && exceedsMaximumLag(input.leaderLsn, input.myWalPosition, input.maximumLagBytes)) {
    const lag = formatBytes(lagBytes(input.leaderLsn, input.myWalPosition));
    return { healthy: false, reason: `My wal position exceeds maximum replication lag (${lag} > ${formatBytes(input.maximumLagBytes)})` };
  }
  for (const peer of input.peers) {
    if (peer.name === input.selfName || !peer.reachable) continue;
    const priority = failoverPriority(peer.tags);
    if (priority <= 0 || peer.watchdogFailed === true) continue;
    if (peer.isPrimary === true) return { healthy: false, reason: `Primary (${peer.name}) is still alive` };
    const position = peer.walPosition ?? 0;
    if (position > input.myWalPosition) {
      if (input.syncLeader !== undefined && input.syncLeader.toLowerCase() === peer.name.toLowerCase()) continue;
      return {
        healthy: false,
        reason: `${peer.name} has a higher WAL position (${formatLsn(position)} > ${formatLsn(input.myWalPosition)})`,
      };
    }
    if (position === input.myWalPosition && priority > input.myPriority && input.ignorePriorityTie !== true) {
      return { healthy: false, reason: `${peer.name} has equal WAL position and higher priority (${priority} > ${input.myPriority})` };
    }
  }
  return { healthy: true, reason: `no reachable member is ahead of ${formatLsn(input.myWalPosition)}` };
}
