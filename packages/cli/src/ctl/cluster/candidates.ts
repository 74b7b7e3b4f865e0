/**
 * Whether a member can take over as primary, and why not. patronictl only
 * checks `nofailover`; pgwarden also says, before anything is sent, what the
 * REST API would refuse or the HA loop would skip (spec/ha-loop.md: running,
 * lag within maximum_lag_on_failover, in /sync for a synchronous switchover),
 * so that "no good candidates" never comes without a reason (INCIDENTS #7).
 */
import { isInSyncState, type Cluster, type Member } from '@pgwarden/core';
import { isSynchronousMode, leaderName } from './cluster-view.js';

const DEFAULT_MAXIMUM_LAG_BYTES = 1_048_576;

function maximumLag(cluster: Cluster): number {
  const value = cluster.config?.data['maximum_lag_on_failover'];
  return typeof value === 'number' && Number.isFinite(value) ? value : DEFAULT_MAXIMUM_LAG_BYTES;
}

/** Members other than the leader not tagged nofailover, sorted by name (patronictl's candidate list). */
export function switchoverCandidates(cluster: Cluster): string[] {
  const leader = leaderName(cluster);
  return cluster.members
    .filter((member) => member.name !== leader && member.data.tags?.nofailover !== true)
    .map((member) => member.name)
    .sort();
}

export interface Eligibility {
  /** Why the request would be refused or could not succeed. */
  readonly blockers: readonly string[];
  /** Worth saying before asking (a manual switchover skips the lag check, as in Patroni). */
  readonly warnings: readonly string[];
}

/** Whether `member` can be promoted by an operator's switchover/failover, and why not. */
export function candidateEligibility(cluster: Cluster, member: Member, action: 'switchover' | 'failover'): Eligibility {
  const reasons: string[] = [];
  const warnings: string[] = [];
  const data = member.data;
  if (data.tags?.nofailover === true) reasons.push('it is tagged nofailover');
  if (data.state !== undefined && data.state !== 'running') reasons.push(`its PostgreSQL is ${data.state}`);
  if (data.api_url === undefined || data.api_url === '') reasons.push('it publishes no REST API URL');
  if (action === 'switchover' && isSynchronousMode(cluster) && !isInSyncState(cluster.sync, member.name)) {
    reasons.push('synchronous_mode is on and it is not a synchronous standby (a failover may still target it)');
  }
  const lsn = data.xlog_location;
  const limit = maximumLag(cluster);
  if (lsn !== undefined && cluster.lastLsn > 0 && cluster.lastLsn - lsn > limit) {
    warnings.push(`it lags ${cluster.lastLsn - lsn} bytes behind the leader (maximum_lag_on_failover is ${limit})`);
  }
  return { blockers: reasons, warnings };
}
