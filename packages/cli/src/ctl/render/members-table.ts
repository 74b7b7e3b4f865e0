/**
 * The `list` / `topology` table (patronictl's `output_members`): columns,
 * their order, the title `Cluster: <name> (<sysid>)`, host:port when ports
 * differ or hosts repeat, and the maintenance / scheduled switchover lines
 * printed under the pretty table. Scripts parse this: keep it exact.
 */
import type { Cluster } from '@pgwarden/core';
import { buildClusterView, type ClusterView, type MemberView } from '../cluster/cluster-view.js';
import { formatYaml, formatYamlFlow } from './config-yaml.js';
import { renderTable, roundHalfEven, type Cell, type OutputFormat, type TableData } from './output.js';
import { topologySort } from './topology-sort.js';

const OPTIONAL_COLUMNS = [
  ['Pending restart', 'pending_restart'],
  ['Pending restart reason', 'pending_restart_reason'],
  ['Scheduled restart', 'scheduled_restart'],
  ['Tags', 'tags'],
] as const;

export interface MembersTableOptions {
  readonly clusterName: string;
  readonly extended?: boolean;
  readonly format: OutputFormat;
}

function isFilled(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '') return false;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function clusterTitle(cluster: Cluster, name: string): string {
  const sysid = cluster.initialize === undefined ? 'uninitialized' : cluster.initialize === '' ? 'initializing' : cluster.initialize;
  return ` Cluster: ${name} (${sysid}) `;
}

function pendingReason(member: MemberView, format: OutputFormat): string {
  const reasons = member.pending_restart_reason;
  if (reasons === undefined) return '';
  return Object.entries(reasons)
    .map(([parameter, change]) => {
      const line = `${parameter}: ${change.old_value}->${change.new_value}`;
      return (format === 'pretty' || format === 'topology') && line.length > 50 ? `${parameter}: [hidden - too long]` : line;
    })
    .join('\n');
}

function scheduledRestart(member: MemberView): string {
  const scheduled = member.scheduled_restart;
  if (scheduled === undefined) return '';
  let text = String(scheduled['schedule'] ?? '');
  if (scheduled['postgres_version'] !== undefined) text += ` if version < ${String(scheduled['postgres_version'])}`;
  return text;
}

function tagsCell(member: MemberView, format: OutputFormat): Cell {
  const tags = member.tags;
  if (!isFilled(tags) || tags === undefined) return '';
  if (format === 'pretty' || format === 'topology') return formatYaml(tags).trimEnd();
  if (format === 'tsv') return formatYamlFlow(tags);
  return tags;
}

function memberRow(member: MemberView, name: string, columns: readonly string[], appendPort: boolean, format: OutputFormat): Cell[] {
  const lag = member.lag;
  let host = member.host ?? '';
  if (appendPort && host !== '' && member.port !== undefined) host = `${host}:${member.port}`;
  const values: Record<string, Cell> = {
    Cluster: name,
    Member: member.name,
    Host: host,
    Role: member.role.replace(/_/g, ' ').replace(/\b[a-z]/g, (letter) => letter.toUpperCase()),
    State: member.state,
    TL: member.timeline ?? '',
    'Lag in MB': typeof lag === 'number' ? roundHalfEven(lag / 1024 / 1024) : (lag ?? ''),
    'Pending restart': member.pending_restart ? '*' : '',
    'Pending restart reason': pendingReason(member, format),
    'Scheduled restart': scheduledRestart(member),
    Tags: tagsCell(member, format),
  };
  return columns.map((column) => values[column] ?? '');
}

/** The table of one cluster; `format: 'topology'` orders rows as the replication tree. */
export function buildMembersTable(cluster: Cluster, options: MembersTableOptions, view: ClusterView = buildClusterView(cluster)): TableData {
  const withHost = view.members.filter((member) => member.host !== undefined);
  const columns = ['Cluster', 'Member', 'Host', 'Role', 'State', 'TL', 'Lag in MB'];
  for (const [title, key] of OPTIONAL_COLUMNS) {
    if (options.extended || withHost.some((member) => isFilled(member[key]))) columns.push(title);
  }
  const appendPort =
    withHost.some((member) => member.port !== undefined && member.port !== 5432) ||
    new Set(withHost.map((member) => member.host)).size < withHost.length;
  const ordered = options.format === 'topology' ? topologySort(view.members) : view.members;
  const rows = ordered.map((member) => memberRow(member, options.clusterName, columns, appendPort, options.format));
  const pretty = options.format === 'pretty' || options.format === 'topology';
  return {
    columns: pretty ? columns.slice(1) : columns,
    rows: pretty ? rows.map((row) => row.slice(1)) : rows,
    alignment: { Group: 'r', 'Lag in MB': 'r', TL: 'r' },
    title: clusterTitle(cluster, options.clusterName),
  };
}

/** Lines printed under the pretty table: maintenance mode and a scheduled switchover. */
export function serviceInfo(view: ClusterView): string | undefined {
  const entries: string[] = [];
  if (view.pause) entries.push('Maintenance mode: on');
  const scheduled = view.scheduled_switchover;
  if (scheduled !== undefined) {
    let info = `Switchover scheduled at: ${scheduled.at}`;
    if (scheduled.from !== undefined) info += `\n${'from'.padStart(24)}: ${scheduled.from}`;
    if (scheduled.to !== undefined) info += `\n${'to'.padStart(24)}: ${scheduled.to}`;
    entries.push(info);
  }
  return entries.length === 0 ? undefined : ` ${entries.join('\n ')}`;
}

/** Everything `list` prints for one cluster in the given format. */
export function renderMembers(cluster: Cluster, options: MembersTableOptions): string {
  const view = buildClusterView(cluster);
  const table = renderTable(buildMembersTable(cluster, options, view), options.format);
  if (options.format !== 'pretty' && options.format !== 'topology') return table;
  const info = serviceInfo(view);
  return info === undefined ? table : `${table}\n${info}`;
}
