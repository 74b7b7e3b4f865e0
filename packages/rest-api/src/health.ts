/**
 * Health-check status codes (spec/rest-api.md §4), the hot path: HAProxy
 * asks `OPTIONS /primary` every few seconds on every member. Pure functions
 * of the member view, the path, the query and the time: no I/O, and no
 * allocation beyond the query map when a query string is present.
 *
 * Path matching is by substring, in Patroni's order, so `/standby-leader`
 * wins over `/leader`, and `/read-only-sync` is not `/read-only`.
 */
import type { MemberView } from './member-view.js';
import { parseSizeBytes } from './parse-values.js';

export type Query = ReadonlyMap<string, string>;

const EMPTY_QUERY: Query = new Map();

/** Patroni's parse_qs: first value of each key wins, `+` is a space, blank values are dropped. */
export function parseQuery(queryString: string): Query {
  if (queryString === '') return EMPTY_QUERY;
  const query = new Map<string, string>();
  for (const pair of queryString.split('&')) {
    const equals = pair.indexOf('=');
    if (equals <= 0 || equals === pair.length - 1) continue;
    const key = decodeComponent(pair.slice(0, equals));
    if (!query.has(key)) query.set(key, decodeComponent(pair.slice(equals + 1)));
  }
  return query;
}

function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

export function isClusterValid(view: MemberView, nowMs: number): boolean {
  return nowMs < view.clusterValidUntilMs;
}

export function isLeader(view: MemberView, nowMs: number): boolean {
  return nowMs < view.leaderValidUntilMs;
}

/** Leader position for `?lag=`: max(/status optime of a valid cluster view, latest_end_lsn). */
function leaderOptime(view: MemberView, clusterValid: boolean): number {
  return Math.max(clusterValid ? (view.snapshot.cluster?.lastLsn ?? 0) : 0, view.latestEndLsn);
}

function replicaCode(view: MemberView, query: Query, clusterValid: boolean): number {
  if (view.noloadbalance || view.diverged || view.role !== 'replica' || view.state !== 'running') return 503;
  const lag = query.get('lag');
  if (lag !== undefined) {
    const maximumLag = parseSizeBytes(lag);
    const optime = leaderOptime(view, clusterValid);
    if (maximumLag !== undefined && optime > 0 && optime > view.replayedLocation + maximumLag) return 503;
  }
  const wantedState = query.get('replication_state');
  if (wantedState !== undefined && view.replicationState !== wantedState) return 503;
  return 200;
}

interface LeaderCodes {
  readonly leader: number;
  readonly primary: number;
  readonly standbyLeader: number;
}

const ALL_UNAVAILABLE: LeaderCodes = { leader: 503, primary: 503, standbyLeader: 503 };
const PRIMARY_LEADER: LeaderCodes = { leader: 200, primary: 200, standbyLeader: 503 };
const STANDBY_LEADER: LeaderCodes = { leader: 200, primary: 503, standbyLeader: 200 };
const LEADER_ONLY: LeaderCodes = { leader: 200, primary: 503, standbyLeader: 503 };

function leaderCodes(view: MemberView, clusterValid: boolean, nowMs: number): LeaderCodes {
  const role = view.role;
  if (!clusterValid && view.snapshot.paused) {
    if (role === 'primary') return PRIMARY_LEADER;
    if (role === 'standby_leader') return STANDBY_LEADER;
    return ALL_UNAVAILABLE;
  }
  if (!isLeader(view, nowMs)) return ALL_UNAVAILABLE;
  if (!view.snapshot.standbyCluster) return PRIMARY_LEADER;
  return role === 'replica' || role === 'standby_leader' ? STANDBY_LEADER : LEADER_ONLY;
}

/** Tag filters `tag_<key>=<value>`: every one must match a tag of ours (as a string). */
function tagsMatch(view: MemberView, query: Query): boolean {
  for (const [key, value] of query) {
    if (!key.startsWith('tag_')) continue;
    if (view.tagStrings.get(key.slice(4)) !== value) return false;
  }
  return true;
}

function syncCode(view: MemberView, path: string, replica: () => number, leaders: LeaderCodes): number {
  const isSync = view.inSyncKey && !view.quorumMode;
  const isQuorum = view.inSyncKey && view.quorumMode;
  const leaderOk = leaders.primary === 200 || leaders.standbyLeader === 200;
  switch (path) {
    case '/sync':
    case '/synchronous':
      return isSync ? replica() : 503;
    case '/quorum':
      return isQuorum ? replica() : 503;
    case '/async':
    case '/asynchronous':
      return !isSync && !isQuorum ? replica() : 503;
    case '/read-only-quorum':
      return leaderOk ? 200 : isQuorum ? replica() : 503;
    case '/read-only-sync':
    case '/read-only-synchronous':
      return leaderOk ? 200 : isSync ? replica() : 503;
    default:
      return 503;
  }
}

/** The status code of a health check of `path` (`/` already mapped to `/primary`). */
export function healthStatusCode(view: MemberView, path: string, query: Query, nowMs: number): number {
  const clusterValid = isClusterValid(view, nowMs);
  const leaders = leaderCodes(view, clusterValid, nowMs);
  if (path.includes('standby_leader') || path.includes('standby-leader')) return leaders.standbyLeader;
  if (path.includes('leader')) return leaders.leader;
  if (path.includes('master') || path.includes('primary') || path.includes('read-write')) return leaders.primary;
  let code: number;
  if (path.includes('replica')) code = replicaCode(view, query, clusterValid);
  else if (path.includes('read-only') && !path.includes('sync') && !path.includes('quorum')) {
    code = leaders.primary === 200 || leaders.standbyLeader === 200 ? 200 : replicaCode(view, query, clusterValid);
  } else if (path.includes('health')) code = view.state === 'running' ? 200 : 503;
  else if (clusterValid) code = syncCode(view, path, () => replicaCode(view, query, true), leaders);
  else code = 503;
  return code === 200 && query.size > 0 && !tagsMatch(view, query) ? 503 : code;
}

/** `GET /liveness` (spec §4.1): the cycle is not overdue, or we are paused. */
export function livenessStatusCode(view: MemberView, nowMs: number): number {
  const snapshot = view.snapshot;
  if (snapshot.paused) return 200;
  const isPrimary = view.role === 'primary' && snapshot.postgres?.running === true;
  const thresholdMs = snapshot.ttlSeconds * 1000 * (isPrimary ? 1 : 2);
  const nextCycleAtMs = snapshot.nextCycleAtMs ?? nowMs;
  return nextCycleAtMs + thresholdMs > nowMs ? 200 : 503;
}

/** `GET /readiness` (spec §4.2, 4.1 rules): leader, or a streaming replica within `?lag=`. */
export function readinessStatusCode(view: MemberView, query: Query, nowMs: number): number {
  if (isLeader(view, nowMs)) return 200;
  if (view.snapshot.state !== 'running' || !view.queryable) return 503;
  if (view.replicationState !== 'streaming' || view.diverged) return 503;
  const clusterValid = isClusterValid(view, nowMs);
  if (!clusterValid && view.latestEndLsn === 0) return view.snapshot.failsafeActive ? 200 : 503;
  const location = query.get('mode') === 'write' ? view.receivedLocation : view.replayedLocation;
  const lag = leaderOptime(view, clusterValid) - location;
  const maximumLag = parseSizeBytes(query.get('lag')) ?? view.snapshot.maximumLagOnFailoverBytes;
  return lag > maximumLag ? 503 : 200;
}
