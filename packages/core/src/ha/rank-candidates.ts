/**
 * Failover candidate ranking that explains itself per member, so that the
 * REST API and the CLI can show why a member was or was not chosen (incident
 * #7: "no leader available" without saying why). Pure: statuses in, verdicts out.
 */
import { compareCodePoints } from '../compare.js';
import { failoverPriority } from '../model/cluster-helpers.js';
import type { PeerStatus } from '../model/local-state.js';
import { exceedsMaximumLag, formatBytes, formatLsn, lagBytes } from './lag.js';

export interface RankingInput {
  /** Every member considered, with the tags it publishes. */
  readonly candidates: readonly { readonly name: string; readonly tags?: Readonly<Record<string, unknown>> }[];
  /** What each answered to GET /patroni (missing = not asked). */
  readonly statuses: readonly PeerStatus[];
  /** The leader's last published WAL position (`/status` optime). */
  readonly leaderLsn: number;
  readonly maximumLagBytes: number;
  /** Synchronous mode active: only these names may be promoted. */
  readonly syncNames?: readonly string[];
  /** check_timeline: a member behind this timeline is ineligible. */
  readonly clusterTimeline?: number;
  /** Skip the lag limit (manual failover). */
  readonly ignoreLag?: boolean;
}

export interface CandidateVerdict {
  readonly name: string;
  readonly eligible: boolean;
  /** 1 = best; only for eligible members. */
  readonly rank?: number;
  readonly walPosition?: number;
  readonly priority: number;
  /** e.g. `ineligible: lag 784 MB > 1 MB limit`, `eligible, rank 2: priority 50, LSN 0/3000060`. */
  readonly explanation: string;
}

function ineligibility(input: RankingInput, name: string, priority: number, status: PeerStatus | undefined): string | undefined {
  if (priority <= 0) return 'ineligible: tagged nofailover (failover_priority 0)';
  if (status === undefined || !status.reachable) return 'ineligible: did not answer the status request';
  if (status.watchdogFailed === true) return 'ineligible: watchdog required but not usable';
  if (input.syncNames !== undefined && !input.syncNames.some((sync) => sync.toLowerCase() === name.toLowerCase())) {
    return 'ineligible: not a synchronous standby in /sync';
  }
  if (input.clusterTimeline !== undefined && input.clusterTimeline > 0) {
    if (status.timeline === undefined) return 'ineligible: timeline unknown';
    if (status.timeline < input.clusterTimeline) {
      return `ineligible: timeline ${status.timeline} behind cluster timeline ${input.clusterTimeline}`;
    }
  }
  if (input.ignoreLag !== true && exceedsMaximumLag(input.leaderLsn, status.walPosition, input.maximumLagBytes)) {
    const lag = formatBytes(lagBytes(input.leaderLsn, status.walPosition));
    return `ineligible: lag ${lag} > ${formatBytes(input.maximumLagBytes)} limit`;
  }
  return undefined;
}

/** Ranks by WAL position (highest first), then failover_priority, then name for a stable order. */
export function rankFailoverCandidates(input: RankingInput): CandidateVerdict[] {
  const judged = input.candidates.map((candidate) => {
    const status = input.statuses.find((peer) => peer.name === candidate.name);
    // The live status decides the priority; either it or the member key saying nofailover is enough to exclude.
    const live = failoverPriority(status?.tags ?? candidate.tags);
    const priority = failoverPriority(candidate.tags) <= 0 ? 0 : live;
    const why = ineligibility(input, candidate.name, priority, status);
    return { name: candidate.name, priority, walPosition: status?.walPosition, why };
  });
  const eligible = judged
    .filter((entry) => entry.why === undefined)
    .sort(
      (a, b) =>
        (b.walPosition ?? 0) - (a.walPosition ?? 0) || b.priority - a.priority || compareCodePoints(a.name, b.name),
    );
  return judged.map((entry) => {
    const base = { name: entry.name, priority: entry.priority, ...(entry.walPosition === undefined ? {} : { walPosition: entry.walPosition }) };
    if (entry.why !== undefined) return { ...base, eligible: false, explanation: entry.why };
    const rank = eligible.indexOf(entry) + 1;
    const lsn = formatLsn(entry.walPosition ?? 0);
    return { ...base, eligible: true, rank, explanation: `eligible, rank ${rank}: priority ${entry.priority}, LSN ${lsn}` };
  });
}
