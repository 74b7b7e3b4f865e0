/**
 * Giving the leader key up: our member key first (its state — "stopped" once
 * PostgreSQL is down — is what the racing replicas read; a last-cycle
 * "running primary" makes them refuse to take over), then the release. Where
 * the DCS offers it (etcd's txn) both go in one write, so a watching
 * candidate is woken once and sees both.
 */
import type { Dcs, DcsResult, LocalPostgres, MemberData } from '@pgwarden/core';
import type { AgentLogger } from '../logger.js';

export interface Released {
  readonly leader: DcsResult<void>;
  /** The key went to the switchover's candidate instead of being deleted. */
  readonly handedOverTo?: string;
}

/**
 * The LSN a released key may publish in `/status`: the checkpoint of a clean
 * shutdown ("shut down" in pg_control), as Patroni's
 * latest_checkpoint_location(). After a stop that escalated to SIGQUIT, a
 * crash or a kill, pg_control names an older checkpoint (the CHECKPOINT
 * before the stop, or one minutes back), and WAL with acknowledged commits
 * lies beyond it: publishing it would move `/status` backwards and let a
 * replica that lacks those commits pass the lag check. Undefined then: the
 * last renewal's position stays.
 */
export function cleanShutdownLsn(local: LocalPostgres | undefined): number | undefined {
  return local !== undefined && !local.running && local.controlState === 'shut down' ? local.checkpointLsn : undefined;
}

/**
 * A standby that shut down cleanly ("shut down in recovery": a standby
 * cluster's leader): it has no final position of its own to publish (its
 * data come from upstream, which its replicas follow as well), and nothing
 * went wrong.
 */
export function standbyShutDown(local: LocalPostgres | undefined): boolean {
  return local !== undefined && !local.running && local.controlState === 'shut down in recovery';
}

/** `handOverTo` (a switchover's candidate) only where the store offers releaseLeader(); see Dcs. */
export async function releaseLeaderKey(
  dcs: Dcs,
  logger: AgentLogger,
  input: { readonly lastLsn?: number | undefined; readonly member?: MemberData | undefined; readonly handOverTo?: string | undefined },
): Promise<Released> {
  const lastLsn = input.lastLsn === undefined ? {} : { lastLsn: input.lastLsn };
  const warn = (reason: string): void => logger.warn({ reason }, 'could not publish the member key before releasing the leader key');
  if (input.member === undefined) return { leader: await dcs.deleteLeader(lastLsn) };
  if (dcs.releaseLeader !== undefined) {
    const handOver = input.handOverTo === undefined ? {} : { handOverTo: input.handOverTo };
    const outcome = await dcs.releaseLeader({ ...lastLsn, ...handOver, member: input.member });
    if (!outcome.member.ok) warn(outcome.member.message);
    const handedOver = outcome.handedOver === true && outcome.leader.ok && input.handOverTo !== undefined;
    return handedOver ? { leader: outcome.leader, handedOverTo: input.handOverTo } : { leader: outcome.leader };
  }
  const touched = await dcs.touchMember(input.member);
  if (!touched.ok) warn(touched.message);
  return { leader: await dcs.deleteLeader(lastLsn) };
}
