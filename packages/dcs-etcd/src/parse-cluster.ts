/**
 * The cluster view from the raw keys of one range read (or the watch cache),
 * parsed leniently as Patroni parses it (spec/dcs.md §2.1): a bad value never
 * makes the whole read fail. An unparsable member value yields empty data, an
 * unparsable config yields empty data with modifyVersion 0 (ignored by the
 * global config), an absent or unparsable history yields no history (timeline 0).
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
} from '@pgwarden/core';
import type { ClusterKeys } from './keys.js';
import { isPlainObject, parseJsonLeniently } from './patroni-json.js';

/** One key as etcd returned it, value decoded as UTF-8. */
export interface RawKey {
  readonly key: string;
  readonly value: string;
  readonly modRevision: number;
  /** Lease id as a decimal string; "0" when the key has no lease. */
  readonly lease: string;
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
  try {
    const url = new URL(value);
    const apiUrl = url.searchParams.get('application_name');
    const connUrl = value.split('?')[0] ?? value;
    return apiUrl === null ? { conn_url: connUrl } : { conn_url: connUrl, api_url: apiUrl };
  } catch {
    return {};
  }
}

function parseConfig(raw: RawKey): ClusterConfig {
  const parsed = parseJsonLeniently(raw.value);
  if (!isPlainObject(parsed)) return { version: raw.modRevision, modifyVersion: 0, data: {} };
  return { version: raw.modRevision, modifyVersion: raw.modRevision, data: parsed };
}

/** `{"leader":..,"member":..,"scheduled_at":..}` or legacy `leader:candidate`; `{}` = no request. */
export function parseFailover(raw: RawKey): Failover {
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
    version: raw.modRevision,
    ...(leader !== undefined ? { leader } : {}),
    ...(candidate !== undefined ? { candidate } : {}),
    ...(scheduledAt !== undefined ? { scheduledAt } : {}),
  };
}

export function parseSync(raw: RawKey): SyncState {
  const parsed = parseJsonLeniently(raw.value);
  // Patroni 4.x writes `"quorum":null` outside quorum commit mode.
  const value = isPlainObject(parsed) && parsed['quorum'] === null ? { ...parsed, quorum: undefined } : parsed;
  const result = syncValueSchema.safeParse(value);
  if (!result.success) return { version: raw.modRevision, syncStandbys: [] };
  const standbys = (result.data.sync_standby ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return {
    version: raw.modRevision,
    ...(result.data.leader ? { leader: result.data.leader } : {}),
    syncStandbys: standbys,
    ...(result.data.quorum !== undefined ? { quorum: result.data.quorum } : {}),
  };
}

function parseHistory(raw: RawKey): TimelineHistory | undefined {
  const parsed = parseJsonLeniently(raw.value);
  if (!Array.isArray(parsed)) return undefined;
  const lines: HistoryLine[] = [];
  for (const line of parsed) {
    const result = historyLineSchema.safeParse(line);
    if (result.success) lines.push(result.data);
  }
  // Patroni derives the timeline from the last line: if that one is bad the timeline is unknown.
  if (parsed.length > 0 && !historyLineSchema.safeParse(parsed[parsed.length - 1]).success) return undefined;
  return { version: raw.modRevision, lines };
}

interface StatusReading {
  readonly lastLsn?: number;
  readonly slots?: Record<string, number>;
}

/** `/status` JSON, a bare integer (legacy), or `slots` given as a JSON string. */
export function parseStatus(value: string): StatusReading {
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
  return {
    ...(typeof optime === 'number' && Number.isSafeInteger(optime) && optime >= 0 ? { lastLsn: optime } : {}),
    ...(isPlainObject(slotsValue) ? { slots } : {}),
  };
}

function parseFailsafe(value: string): Record<string, string> | undefined {
  const parsed = parseJsonLeniently(value);
  if (!isPlainObject(parsed)) return undefined;
  const result: Record<string, string> = {};
  for (const [name, url] of Object.entries(parsed)) if (typeof url === 'string') result[name] = url;
  return result;
}

function sessionOf(raw: RawKey): { session?: string } {
  return raw.lease !== '0' && raw.lease !== '' ? { session: raw.lease } : {};
}

/** Build the Cluster from every key under the prefix. Keys outside the layout are ignored. */
export function parseCluster(keys: ClusterKeys, raws: Iterable<RawKey>): Cluster {
  const byKey = new Map<string, RawKey>();
  const members: Member[] = [];
  for (const raw of raws) {
    if (raw.key.startsWith(keys.membersPrefix)) {
      const name = raw.key.slice(keys.membersPrefix.length);
      if (name === '' || name.includes('/')) continue;
      members.push({ name, version: raw.modRevision, ...sessionOf(raw), data: parseMemberData(raw.value) });
    } else {
      byKey.set(raw.key, raw);
    }
  }
  members.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
  const leader = byKey.get(keys.leader);
  const config = byKey.get(keys.config);
  const failover = byKey.get(keys.failover);
  const sync = byKey.get(keys.sync);
  const history = byKey.get(keys.history);
  const initialize = byKey.get(keys.initialize);
  const failsafe = byKey.get(keys.failsafe);
  const status = byKey.get(keys.status);
  const legacyOptime = byKey.get(keys.optimeLeader);
  const reading: StatusReading = status ? parseStatus(status.value) : legacyOptime ? parseStatus(legacyOptime.value) : {};
  const parsedHistory = history ? parseHistory(history) : undefined;
  const parsedFailsafe = failsafe ? parseFailsafe(failsafe.value) : undefined;
  // `{}` (how a request is cleared) is no request at all (spec/dcs.md §1.1): the core reads presence as a request.
  const parsedFailover = failover ? parseFailover(failover) : undefined;
  const failoverRequested = parsedFailover !== undefined && (parsedFailover.leader !== undefined || parsedFailover.candidate !== undefined);
  return {
    ...(initialize ? { initialize: initialize.value } : {}),
    ...(config ? { config: parseConfig(config) } : {}),
    ...(leader ? { leader: { name: leader.value, version: leader.modRevision, ...sessionOf(leader) } } : {}),
    members,
    ...(failoverRequested ? { failover: parsedFailover } : {}),
    ...(sync ? { sync: parseSync(sync) } : {}),
    ...(parsedHistory ? { history: parsedHistory } : {}),
    lastLsn: reading.lastLsn ?? 0,
    ...(reading.slots ? { slots: reading.slots } : {}),
    ...(parsedFailsafe ? { failsafe: parsedFailsafe } : {}),
  };
}
