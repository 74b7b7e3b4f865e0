/**
 * The cluster view from the raw keys of one read, for any DCS adapter:
 * each adapter maps its wire format to `RawClusterKey` (key relative to the
 * cluster prefix, value as text, modification index, lease/session id) and
 * gets the same lenient parsing Patroni applies (spec/dcs.md §2.1): an
 * unparsable member value yields empty data, an unparsable config yields
 * empty data with modifyVersion 0 (ignored), an absent or unparsable history
 * yields no history (timeline 0), `{}` in `/failover` is no request.
 */
import {
  failoverValueSchema,
  historyLineSchema,
  memberDataSchema,
  syncValueSchema,
  type Cluster,
  type ClusterConfig,
  type Failover,
  type HistoryLine,
  type Member,
  type MemberData,
  type SyncState,
  type TimelineHistory,
} from './cluster.js';
import { isPlainObject, parseJsonLeniently } from './patroni-values.js';

export interface RawClusterKey {
  /** Relative to the cluster prefix: `leader`, `members/node1`, `optime/leader`. */
  readonly key: string;
  readonly value: string;
  /** Modification index (Consul) or mod_revision (etcd). */
  readonly version: number;
  /** Session id (Consul) or lease id (etcd) the key is bound to, when any. */
  readonly session?: string;
}

/** Member data, dropping only the fields that do not fit the schema. */
export function parseMemberData(value: string): MemberData {
  if (value.startsWith('postgres')) return parseLegacyMemberUrl(value);
  const parsed = parseJsonLeniently(value);
  if (!isPlainObject(parsed)) return {};
  let candidate: Record<string, unknown> = parsed;
  for (let attempt = 0; attempt < 2; attempt++) {
    const result = memberDataSchema.safeParse(candidate);
    if (result.success) return result.data;
    const bad = new Set(result.error.issues.map((issue) => String(issue.path[0])));
    candidate = Object.fromEntries(Object.entries(candidate).filter(([field]) => !bad.has(field)));
  }
  return {};
}

/** Legacy `postgres://host:port/db?application_name=<api_url>` member value. */
function parseLegacyMemberUrl(value: string): MemberData {
  const [connUrl = value, query = ''] = value.split('?', 2);
  const match = /(?:^|&)application_name=([^&]*)/.exec(query);
  if (match?.[1] === undefined) return { conn_url: connUrl };
  try {
    return { conn_url: connUrl, api_url: decodeURIComponent(match[1]) };
  } catch {
    return { conn_url: connUrl };
  }
}

function parseConfig(raw: RawClusterKey): ClusterConfig {
  const parsed = parseJsonLeniently(raw.value);
  if (!isPlainObject(parsed)) return { version: raw.version, modifyVersion: 0, data: {} };
  return { version: raw.version, modifyVersion: raw.version, data: parsed };
}

/** `{"leader":..,"member":..,"scheduled_at":..}` or legacy `leader:candidate`. */
function parseFailover(raw: RawClusterKey): Failover {
  const parsed = parseJsonLeniently(raw.value);
  let leader: string | undefined;
  let candidate: string | undefined;
  let scheduledAt: string | undefined;
  if (isPlainObject(parsed)) {
    const result = failoverValueSchema.safeParse(parsed);
    if (result.success) {
      leader = result.data.leader || undefined;
      candidate = result.data.member || undefined;
      scheduledAt = result.data.scheduled_at || undefined;
    }
  } else if (parsed === undefined && raw.value.includes(':')) {
    const [left, right] = raw.value.split(':', 2);
    leader = left?.trim() || undefined;
    candidate = right?.trim() || undefined;
  }
  return {
    version: raw.version,
    ...(leader !== undefined ? { leader } : {}),
    ...(candidate !== undefined ? { candidate } : {}),
    ...(scheduledAt !== undefined ? { scheduledAt } : {}),
  };
}

function parseSync(raw: RawClusterKey): SyncState {
  const parsed = parseJsonLeniently(raw.value);
  // Patroni 4.x writes `"quorum":null` outside quorum commit mode.
  const value = isPlainObject(parsed) && parsed['quorum'] === null ? { ...parsed, quorum: undefined } : parsed;
  const result = syncValueSchema.safeParse(value);
  if (!result.success) return { version: raw.version, syncStandbys: [] };
  const standbys = (result.data.sync_standby ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return {
    version: raw.version,
    ...(result.data.leader ? { leader: result.data.leader } : {}),
    syncStandbys: standbys,
    ...(result.data.quorum !== undefined ? { quorum: result.data.quorum } : {}),
  };
}

function parseHistory(raw: RawClusterKey): TimelineHistory | undefined {
  const parsed = parseJsonLeniently(raw.value);
  if (!Array.isArray(parsed)) return undefined;
  const lines: HistoryLine[] = [];
  for (const line of parsed) {
    const result = historyLineSchema.safeParse(line);
    if (result.success) lines.push(result.data);
  }
  // Patroni derives the timeline from the last line: if that one is bad the timeline is unknown.
  if (parsed.length > 0 && !historyLineSchema.safeParse(parsed[parsed.length - 1]).success) return undefined;
  return { version: raw.version, lines };
}

export interface StatusReading {
  readonly lastLsn?: number;
  readonly slots?: Record<string, number>;
  readonly retainSlots?: string[];
}

/** `/status` JSON, a bare integer (legacy), or `slots` given as a JSON string. */
export function parseStatusValue(value: string): StatusReading {
  const parsed = parseJsonLeniently(value);
  if (typeof parsed === 'number' && Number.isSafeInteger(parsed) && parsed >= 0) return { lastLsn: parsed };
  if (!isPlainObject(parsed)) return {};
  const optime = parsed['optime'];
  let slotsValue = parsed['slots'];
  if (typeof slotsValue === 'string') slotsValue = parseJsonLeniently(slotsValue);
  const slots: Record<string, number> = {};
  if (isPlainObject(slotsValue)) {
    for (const [slot, position] of Object.entries(slotsValue)) {
      if (typeof position === 'number' && Number.isSafeInteger(position)) slots[slot] = position;
    }
  }
  const retain = parsed['retain_slots'];
  return {
    ...(typeof optime === 'number' && Number.isSafeInteger(optime) && optime >= 0 ? { lastLsn: optime } : {}),
    ...(isPlainObject(slotsValue) ? { slots } : {}),
    ...(Array.isArray(retain) ? { retainSlots: retain.filter((name): name is string => typeof name === 'string') } : {}),
  };
}

function parseFailsafe(value: string): Record<string, string> | undefined {
  const parsed = parseJsonLeniently(value);
  if (!isPlainObject(parsed)) return undefined;
  const result: Record<string, string> = {};
  for (const [name, url] of Object.entries(parsed)) if (typeof url === 'string') result[name] = url;
  return result;
}

function sessionOf(raw: RawClusterKey): { session?: string } {
  return raw.session !== undefined && raw.session !== '' && raw.session !== '0' ? { session: raw.session } : {};
}

/** Build the Cluster from every key under the prefix. Keys outside Patroni's layout are ignored. */
export function parseClusterFromKeys(raws: Iterable<RawClusterKey>): Cluster {
  const byKey = new Map<string, RawClusterKey>();
  const members: Member[] = [];
  for (const raw of raws) {
    if (raw.key.startsWith('members/')) {
      const name = raw.key.slice('members/'.length);
      if (name === '' || name.includes('/')) continue;
      members.push({ name, version: raw.version, ...sessionOf(raw), data: parseMemberData(raw.value) });
    } else {
      byKey.set(raw.key, raw);
    }
  }
  members.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
  const get = (key: string): RawClusterKey | undefined => byKey.get(key);
  const leader = get('leader');
  const config = get('config');
  const status = get('status') ?? get('optime/leader');
  const reading: StatusReading = status ? parseStatusValue(status.value) : {};
  const history = get('history');
  const parsedHistory = history ? parseHistory(history) : undefined;
  const failsafe = get('failsafe');
  const parsedFailsafe = failsafe ? parseFailsafe(failsafe.value) : undefined;
  const failover = get('failover');
  const parsedFailover = failover ? parseFailover(failover) : undefined;
  const failoverRequested = parsedFailover !== undefined && (parsedFailover.leader !== undefined || parsedFailover.candidate !== undefined);
  const sync = get('sync');
  const initialize = get('initialize');
  return {
    ...(initialize ? { initialize: initialize.value } : {}),
    ...(config ? { config: parseConfig(config) } : {}),
    ...(leader ? { leader: { name: leader.value, version: leader.version, ...sessionOf(leader) } } : {}),
    members,
    ...(failoverRequested ? { failover: parsedFailover } : {}),
    ...(sync ? { sync: parseSync(sync) } : {}),
    ...(parsedHistory ? { history: parsedHistory } : {}),
    lastLsn: reading.lastLsn ?? 0,
    ...(reading.slots ? { slots: reading.slots } : {}),
    ...(reading.retainSlots ? { retainSlots: reading.retainSlots } : {}),
    ...(parsedFailsafe ? { failsafe: parsedFailsafe } : {}),
  };
}
