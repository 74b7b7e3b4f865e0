/**
 * Which members a command acts on (patronictl's `get_all_members` and
 * `get_members`): the `-r/--role` filter (`leader`, `primary`,
 * `standby-leader`, `replica`, `standby`, `any`; `master` accepted as
 * `primary`), intersected with the member names given.
 */
import { PgwardenError, type Cluster, type Member } from '@pgwarden/core';
import { leaderName } from './cluster-view.js';

export const ROLE_CHOICES = ['leader', 'primary', 'standby-leader', 'replica', 'standby', 'any', 'master'] as const;
export type RoleFilter = (typeof ROLE_CHOICES)[number];

function isPrimaryRole(role: unknown): boolean {
  return role === 'primary' || role === 'master';
}

export function membersWithRole(cluster: Cluster, role: RoleFilter): Member[] {
  const leader = leaderName(cluster);
  if (role === 'leader' || role === 'primary' || role === 'master' || role === 'standby-leader') {
    const member = cluster.members.find((candidate) => candidate.name === leader);
    if (member === undefined) return [];
    const memberRole = member.data.role;
    if (role === 'leader') return [member];
    if (role === 'standby-leader') return isPrimaryRole(memberRole) ? [] : [member];
    return memberRole === 'standby_leader' ? [] : [member];
  }
  if (role === 'any') return [...cluster.members];
  return cluster.members.filter((member) => member.name !== leader);
}

/** The leader first, then the others: where cluster-wide requests (pause, flush) are sent. */
export function membersLeaderFirst(cluster: Cluster): Member[] {
  const leader = leaderName(cluster);
  const first = cluster.members.filter((member) => member.name === leader);
  return [...first, ...cluster.members.filter((member) => member.name !== leader && member.data.api_url)];
}

/** Named members among those with `role`; errors as patronictl words them. */
export function selectNamedMembers(cluster: Cluster, clusterName: string, names: readonly string[], role: RoleFilter): Member[] {
  const matching = membersWithRole(cluster, role);
  if (names.length === 0) {
    if (matching.length === 0 && cluster.members.length === 0) {
      throw new PgwardenError('no-members', `${clusterName} cluster doesn't have any members`);
    }
    return matching;
  }
  const known = new Set(cluster.members.map((member) => member.name));
  for (const name of names) {
    if (!known.has(name)) throw new PgwardenError('member-not-found', `${name} is not a member of cluster ${clusterName}`);
  }
  const wanted = new Set(names);
  const selected = matching.filter((member) => wanted.has(member.name));
  if (selected.length === 0) throw new PgwardenError('member-not-found', `No ${role} among provided members`);
  return selected;
}
