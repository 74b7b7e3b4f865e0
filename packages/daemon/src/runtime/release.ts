/**
 * Giving the leader key up: our member key first (its state — "stopped" once
 * PostgreSQL is down — is what the racing replicas read; a last-cycle
 * "running primary" makes them refuse to take over), then the release. Where
 * the DCS offers it (etcd's txn) both go in one write, so a watching
 * candidate is woken once and sees both.
 */
import type { Dcs, DcsResult, MemberData } from '@pgwarden/core';
import type { AgentLogger } from '../logger.js';

export async function releaseLeaderKey(
  dcs: Dcs,
  logger: AgentLogger,
  input: { readonly lastLsn?: number | undefined; readonly member?: MemberData | undefined },
): Promise<DcsResult<void>> {
  const lastLsn = input.lastLsn === undefined ? {} : { lastLsn: input.lastLsn };
  const warn = (reason: string): void => logger.warn({ reason }, 'could not publish the member key before releasing the leader key');
  if (input.member === undefined) return dcs.deleteLeader(lastLsn);
  if (dcs.releaseLeader !== undefined) {
    const outcome = await dcs.releaseLeader({ ...lastLsn, member: input.member });
    if (!outcome.member.ok) warn(outcome.member.message);
    return outcome.leader;
  }
  const touched = await dcs.touchMember(input.member);
  if (!touched.ok) warn(touched.message);
  return dcs.deleteLeader(lastLsn);
}
