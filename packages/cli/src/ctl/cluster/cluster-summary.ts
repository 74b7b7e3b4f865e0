/**
 * One line that says where the cluster is, for the progress of waiting
 * commands: `leader node2 (TL 3) | node1: stopped, node2: running, node3: streaming`.
 * Printed only when it changes, so a switchover reads as a short story.
 */
import type { Cluster } from '@pgwarden/core';
import { buildClusterView } from './cluster-view.js';

export function clusterSummary(cluster: Cluster): string {
  const view = buildClusterView(cluster);
  const leader = view.members.find((member) => member.role.endsWith('leader'));
  const head = leader === undefined ? 'no leader' : `leader ${leader.name}${leader.timeline !== undefined ? ` (TL ${leader.timeline})` : ''}`;
  const members = view.members.map((member) => `${member.name}: ${member.state || 'unknown'}`).join(', ');
  const flags = [view.pause ? 'paused' : undefined, cluster.failover?.leader || cluster.failover?.candidate ? 'switchover pending' : undefined]
    .filter(Boolean)
    .join(', ');
  return `${head} | ${members || 'no members'}${flags ? ` | ${flags}` : ''}`;
}

/** Settled after a leader change: a leader, and every other member running or streaming on its timeline. */
export function isSettled(cluster: Cluster): boolean {
  const view = buildClusterView(cluster);
  const leader = view.members.find((member) => member.role.endsWith('leader'));
  if (leader === undefined || leader.state !== 'running') return false;
  return view.members.every(
    (member) => member === leader || ((member.state === 'streaming' || member.state === 'running') && member.timeline === leader.timeline),
  );
}
