/**
 * cluster + options → haproxy.cfg text. Pure: no files, no clock, no
 * randomness; members are sorted by name so an unchanged cluster renders
 * byte-for-byte the same text, which is what lets the watcher skip reloads.
 *
 * Routing rests on the members' REST API, never on the DCS snapshot alone:
 * the snapshot may be seconds old, the REST API answers for the member as it
 * is now. Members tagged `noloadbalance` are left out of the read-only
 * backends here as well (their REST API answers 503 to /replica anyway).
 */
import type { Cluster } from '@pgwarden/core';
import { memberEndpoints, type MemberEndpoints } from './member-endpoints.js';
import { parseHaproxyOptions, type HaproxyOptions, type HaproxyOptionsInput, type ReplicaRoute } from './options.js';
import { serverLine, serverNames } from './server-lines.js';

const INDENT = '    ';

interface Route {
  readonly name: string;
  readonly port: number;
  readonly description: string;
  readonly checkPath: string;
  readonly readOnly: boolean;
}

/** `/replica?lag=10MB&replication_state=streaming&tag_dc=eu`: filters the REST API itself applies. */
export function checkPath(endpoint: string, route: ReplicaRoute): string {
  const query: string[] = [];
  if (route.maxLag !== undefined) query.push(`lag=${encodeURIComponent(String(route.maxLag))}`);
  if (route.requireStreaming) query.push('replication_state=streaming');
  for (const key of Object.keys(route.tags).sort()) {
    query.push(`tag_${key}=${encodeURIComponent(route.tags[key] ?? '')}`);
  }
  return query.length === 0 ? endpoint : `${endpoint}?${query.join('&')}`;
}

function routes(options: HaproxyOptions): Route[] {
  const list: Route[] = [
    {
      name: 'primary',
      port: options.primary.port,
      description: 'read-write: the leader',
      checkPath: `/${options.primary.endpoint}`,
      readOnly: false,
    },
  ];
  const add = (name: string, route: ReplicaRoute | undefined | false, endpoint: string, description: string): void => {
    if (route === undefined || route === false) return;
    list.push({ name, port: route.port, description, checkPath: checkPath(endpoint, route), readOnly: true });
  };
  add('replicas', options.replicas, '/replica', 'read-only: healthy replicas');
  add('sync', options.sync, '/sync', 'read-only: synchronous standbys');
  add('async', options.async, '/async', 'read-only: asynchronous replicas');
  return list;
}

function bindLine(address: string, port: number): string {
  if (address === '*') return `bind *:${port}`;
  return address.includes(':') ? `bind [${address}]:${port}` : `bind ${address}:${port}`;
}

function section(header: string, lines: readonly string[]): string {
  return [header, ...lines.map((line) => INDENT + line)].join('\n');
}

function globalSection(options: HaproxyOptions): string {
  const lines = [`maxconn ${options.maxconn.global}`];
  if (options.log !== undefined) lines.push(`log ${options.log}`);
  if (options.adminSocket !== undefined) lines.push(`stats socket ${options.adminSocket} mode 600 level admin expose-fd listeners`);
  if (options.serverStateFile !== undefined) lines.push(`server-state-file ${options.serverStateFile}`);
  if (options.hardStopAfter !== undefined) lines.push(`hard-stop-after ${options.hardStopAfter}`);
  return section('global', [...lines, ...options.extraGlobal]);
}

function defaultsSection(options: HaproxyOptions): string {
  const { timeouts } = options;
  const lines = ['mode tcp'];
  if (options.log !== undefined) lines.push('log global', 'option tcplog', 'option dontlognull');
  lines.push(
    'retries 2',
    // Database sessions sit idle for minutes between queries (pools, psql,
    // long transactions): HTTP-sized timeouts would cut them. See README.
    `timeout connect ${timeouts.connect}`,
    `timeout client ${timeouts.client}`,
    `timeout server ${timeouts.server}`,
    `timeout check ${timeouts.check}`,
    `timeout queue ${timeouts.queue}`,
  );
  if (options.tcpKeepalive) lines.push('option clitcpka', 'option srvtcpka');
  // New workers start from the states the old ones knew (saved by the installer before reloading).
  if (options.serverStateFile !== undefined) lines.push('load-server-state-from-file global');
  return section('defaults', [...lines, ...options.extraDefaults]);
}

function routeSections(route: Route, members: readonly MemberEndpoints[], names: Map<string, string>, options: HaproxyOptions): string {
  const proxyName = `pgwarden_${route.name}`;
  const frontend = section(`frontend ${proxyName}`, [
    `description ${route.description}`,
    bindLine(options.bindAddress, route.port),
    `default_backend ${proxyName}`,
  ]);
  const { healthCheck, maxconn } = options;
  const backendLines = [
    `description ${route.description} (health check: OPTIONS ${route.checkPath})`,
    ...(route.readOnly ? ['balance leastconn', 'option redispatch'] : []),
    `option httpchk OPTIONS ${route.checkPath}`,
    'http-check expect status 200',
    // shutdown-sessions: clients of a demoted member are cut at once instead
    // of writing into a read-only server (INCIDENTS #14). init-addr: a member
    // whose host name does not resolve yet starts down instead of failing the
    // whole configuration.
    `default-server inter ${healthCheck.interval} fastinter ${healthCheck.fastInterval} downinter ${healthCheck.downInterval} fall ${healthCheck.fall} rise ${healthCheck.rise} on-marked-down shutdown-sessions init-addr libc,none maxconn ${maxconn.perServer}`,
  ];
  const eligible = route.readOnly ? members.filter((member) => !member.noLoadBalance) : members;
  for (const member of eligible) backendLines.push(serverLine(member, names.get(member.name) ?? member.name, options));
  return `${frontend}\n\n${section(`backend ${proxyName}`, backendLines)}`;
}

function statsSection(options: HaproxyOptions): string | undefined {
  const { stats } = options;
  if (stats === false) return undefined;
  const lines = [
    'mode http',
    bindLine(stats.bindAddress, stats.port),
    // The stats page is HTTP: it gets HTTP-sized timeouts, not the database ones.
    'timeout client 30s',
    'timeout http-request 10s',
    'no log',
  ];
  if (stats.prometheus) lines.push('http-request use-service prometheus-exporter if { path /metrics }');
  lines.push('stats enable', `stats uri ${stats.uri}`, `stats refresh ${stats.refresh}`);
  if (stats.auth !== undefined) lines.push(`stats auth ${stats.auth.username}:${stats.auth.password}`);
  return section('frontend pgwarden_stats', lines);
}

function headerComment(options: HaproxyOptions, members: readonly MemberEndpoints[], skipped: readonly string[]): string {
  const lines = [
    `# haproxy.cfg for the PostgreSQL cluster "${options.clusterName}", written by pgwarden haproxy-gen.`,
    '# Rewritten when members come, go or change address: change the generator options, not this file.',
    `# members: ${members.length === 0 ? '(none)' : members.map((member) => member.name.replace(/[\r\n]/g, ' ')).join(', ')}`,
  ];
  for (const reason of skipped) lines.push(`# skipped: ${reason}`);
  return lines.join('\n');
}

/** The endpoints of routable members sorted by name, and why the others were skipped. */
export function routableMembers(cluster: Cluster): { members: MemberEndpoints[]; skipped: string[] } {
  const members: MemberEndpoints[] = [];
  const skipped: string[] = [];
  const sorted = [...cluster.members].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const member of sorted) {
    const result = memberEndpoints(member);
    if (result.ok) members.push(result.endpoints);
    else skipped.push(`${result.name.replace(/[\r\n]/g, ' ')}: ${result.reason}`);
  }
  return { members, skipped };
}

/**
 * Render haproxy.cfg for `cluster`. `options` is validated first (throws
 * PgwardenError `haproxy-invalid-options`); a member with an https REST API
 * and no `restApiTls` throws `haproxy-tls-options-missing`.
 */
export function renderHaproxyConfig(cluster: Cluster, options: HaproxyOptionsInput | HaproxyOptions = {}): string {
  const parsed = parseHaproxyOptions(options);
  const { members, skipped } = routableMembers(cluster);
  const names = serverNames(members);
  const parts = [headerComment(parsed, members, skipped), globalSection(parsed), defaultsSection(parsed)];
  for (const route of routes(parsed)) parts.push(routeSections(route, members, names, parsed));
  const stats = statsSection(parsed);
  if (stats !== undefined) parts.push(stats);
  return `${parts.join('\n\n')}\n`;
}
