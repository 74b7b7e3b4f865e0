/**
 * `GET /cluster` (spec/rest-api.md §5.2, with the 4.x fields): the cluster
 * as one JSON document, members sorted by name, lag computed against the
 * leader's `/status` position.
 */
import { clusterModes, clusterRoleOf, compareCodePoints, findMember, type Cluster, type ClusterModes, type Member } from '@pgwarden/core';
import { formatLsn } from './parse-values.js';

/** The few cluster-wide settings the API reads from `/config` (Patroni's global_config). */
export type GlobalSettings = ClusterModes;

/** Settings from the cluster's `/config`, or `fallback` when it has none (as Patroni falls back). */
export function globalSettings(cluster: Cluster | undefined, fallback: GlobalSettings): GlobalSettings {
  const config = cluster?.config;
  if (config === undefined || config.modifyVersion === 0) return fallback;
  return clusterModes(config.data);
}

function connectionHostPort(connUrl: string | undefined): { host?: string; port?: number } {
  if (connUrl === undefined) return {};
  try {
    const url = new URL(connUrl);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return { ...(host !== '' ? { host } : {}), ...(url.port !== '' ? { port: Number(url.port) } : {}) };
  } catch {
    return {};
  }
}

function numberField(member: Member, field: string): number | undefined {
  const value = member.data[field];
  return typeof value === 'number' && value > 0 ? value : undefined;
}

function addLags(entry: Record<string, unknown>, member: Member, clusterLsn: number): void {
  const positions: readonly [string, number | undefined][] = [
    ['receive_', numberField(member, 'receive_lsn')],
    ['replay_', numberField(member, 'replay_lsn')],
    ['', numberField(member, 'xlog_location')],
  ];
  for (const [prefix, lsn] of positions) {
    if (lsn === undefined) {
      entry[`${prefix}lsn`] = 'unknown';
      entry[`${prefix}lag`] = 'unknown';
    } else {
      entry[`${prefix}lag`] = clusterLsn >= lsn ? clusterLsn - lsn : 0;
      entry[`${prefix}lsn`] = formatLsn(lsn);
    }
  }
}

const OPTIONAL_MEMBER_FIELDS = ['timeline', 'pending_restart', 'pending_restart_reason', 'scheduled_restart', 'tags'];

function memberEntry(cluster: Cluster, member: Member, settings: GlobalSettings): Record<string, unknown> {
  const role = clusterRoleOf(cluster, member.name, settings);
  const data = member.data;
  const state = (role !== 'leader' ? data.replication_state : undefined) || data.state || '';
  const entry: Record<string, unknown> = { name: member.name, role, state, api_url: data.api_url ?? null };
  const { host, port } = connectionHostPort(data.conn_url);
  if (host !== undefined) {
    entry['host'] = host;
    if (port !== undefined) entry['port'] = port;
  }
  for (const field of OPTIONAL_MEMBER_FIELDS) {
    if (data[field] !== undefined) entry[field] = data[field];
  }
  if (role !== 'leader' && role !== 'standby_leader') addLags(entry, member, cluster.lastLsn);
  return entry;
}

export function clusterAsJson(cluster: Cluster, scope: string, fallback: GlobalSettings): Record<string, unknown> {
  const settings = globalSettings(cluster, fallback);
  const members = cluster.members
    .map((member) => memberEntry(cluster, member, settings))
    .sort((a, b) => compareCodePoints(String(a['name']), String(b['name'])));
  const result: Record<string, unknown> = { members };
  if (settings.paused) result['pause'] = true;
  const failover = cluster.failover;
  if (failover?.scheduledAt) {
    const scheduled: Record<string, unknown> = { at: failover.scheduledAt };
    if (failover.leader) scheduled['from'] = failover.leader;
    if (failover.candidate) scheduled['to'] = failover.candidate;
    result['scheduled_switchover'] = scheduled;
  }
  result['scope'] = scope;
  return result;
}

/** Whether `name` is a member of the cluster. */
export function hasMember(cluster: Cluster, name: string): boolean {
  return findMember(cluster, name) !== undefined;
}
