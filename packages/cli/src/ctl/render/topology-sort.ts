/**
 * Rows of `topology`: the leader first, then each replica followed by the
 * members that stream from it (`replicatefrom` tag), names indented by depth
 * with `+ `. A `replicatefrom` naming an unknown member, itself or the leader
 * attaches to the leader, as Patroni does.
 */
import type { MemberView } from '../cluster/cluster-view.js';

function isLeaderRole(member: MemberView): boolean {
  return member.role.endsWith('leader');
}

export function topologySort(members: readonly MemberView[]): MemberView[] {
  const leader = members.find(isLeaderRole);
  const replicas = new Set(members.filter((member) => !isLeaderRole(member)).map((member) => member.name));
  const children = new Map<string | undefined, MemberView[]>();
  for (const member of members) {
    if (isLeaderRole(member)) continue;
    const wanted = member.tags?.['replicatefrom'];
    const parent = typeof wanted === 'string' && wanted !== member.name && replicas.has(wanted) ? wanted : leader?.name;
    children.set(parent, [...(children.get(parent) ?? []), member]);
  }
  const out: MemberView[] = [];
  const seen = new Set<string>();
  const visit = (member: MemberView | undefined, name: string | undefined, level: number): void => {
    if (member !== undefined) {
      if (seen.has(member.name)) return; // a replicatefrom cycle: print each member once
      seen.add(member.name);
      out.push(level > 0 ? { ...member, name: `${' '.repeat((level - 1) * 2)}+ ${member.name}` } : member);
    }
    for (const child of children.get(name) ?? []) visit(child, child.name, level + 1);
  };
  visit(leader, leader?.name, 0);
  // Members caught in a replicatefrom cycle are unreachable from the leader; Patroni drops them, we show them.
  for (const member of members) if (!seen.has(member.name)) visit(member, member.name, 1);
  return out;
}
