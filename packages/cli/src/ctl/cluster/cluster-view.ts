/**
 * The cluster as patronictl and `GET /cluster` present it (Patroni's
 * `cluster_as_json`): one entry per member with the role as the cluster sees
 * it (core's clusterRoleOf: leader / standby_leader / sync or quorum standby / replica), state, host and port
 * from `conn_url`, timeline and lag behind the leader's last position.
 * Pure: the same DCS snapshot always gives the same view.
 */
import { clusterModes, clusterRoleOf, isUnlocked, type Cluster } from '@pgwarden/core';

export interface MemberView {
  readonly name: string;
  readonly role: string;
  readonly state: string;
  readonly api_url?: string;
  readonly host?: string;
  readonly port?: number;
  readonly timeline?: number;
  readonly pending_restart?: boolean;
  readonly pending_restart_reason?: Readonly<Record<string, { readonly old_value: string; readonly new_value: string }>>;
  readonly scheduled_restart?: Readonly<Record<string, unknown>>;
  readonly tags?: Readonly<Record<string, unknown>>;
  /** Bytes behind the leader, or `unknown`; absent for the leader. */
  readonly lag?: number | 'unknown';
}

export interface ClusterView {
  readonly members: readonly MemberView[];
  readonly pause?: true;
  readonly scheduled_switchover?: { readonly at: string; readonly from?: string; readonly to?: string };
}

/** `host` and `port` of a `postgres://host:port/db` URL (brackets of IPv6 removed). */
export function parseConnUrl(connUrl: string | undefined): { host?: string; port?: number } {
  if (connUrl === undefined || connUrl === '') return {};
  try {
    const url = new URL(connUrl);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = url.port === '' ? 5432 : Number(url.port);
    return host === '' ? {} : { host, port };
  } catch {
    return {};
  }
}

export function isPaused(cluster: Cluster): boolean {
  return clusterModes(cluster.config?.data).paused;
}

export function isStandbyCluster(cluster: Cluster): boolean {
  return clusterModes(cluster.config?.data).standbyCluster;
}

export function isSynchronousMode(cluster: Cluster): boolean {
  return clusterModes(cluster.config?.data).synchronousMode;
}

export function leaderName(cluster: Cluster): string | undefined {
  return isUnlocked(cluster) ? undefined : cluster.leader?.name;
}

export function buildClusterView(cluster: Cluster): ClusterView {
  const modes = clusterModes(cluster.config?.data);
  const members = cluster.members.map((member): MemberView => {
    const data = member.data;
    const role = clusterRoleOf(cluster, member.name, modes);
    const view: Record<string, unknown> = {
      name: member.name,
      role,
      state: data.replication_state ?? data.state ?? '',
      api_url: data.api_url,
      ...parseConnUrl(data.conn_url),
    };
    for (const key of ['timeline', 'pending_restart', 'pending_restart_reason', 'scheduled_restart', 'tags'] as const) {
      if (data[key] !== undefined) view[key] = data[key];
    }
    if (role !== 'leader' && role !== 'standby_leader') {
      const lsn = data.xlog_location;
      view['lag'] = lsn === undefined ? 'unknown' : Math.max(0, cluster.lastLsn - lsn);
    }
    return view as unknown as MemberView;
  });
  members.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
  const result: { -readonly [K in keyof ClusterView]: ClusterView[K] } = { members };
  if (isPaused(cluster)) result.pause = true;
  const failover = cluster.failover;
  if (failover?.scheduledAt) {
    result.scheduled_switchover = {
      at: failover.scheduledAt,
      ...(failover.leader ? { from: failover.leader } : {}),
      ...(failover.candidate ? { to: failover.candidate } : {}),
    };
  }
  return result;
}
