/**
 * The values pgwarden writes, field by field and in Patroni's order, so that
 * the JSON is byte-for-byte what Patroni writes (spec/dcs.md §1.1). Every
 * DCS adapter writes `/status` and `/sync` through these.
 */
import { isPlainObject, parseJsonLeniently, toPatroniJson } from './patroni-values.js';
import type { StatusValue } from './cluster.js';

/**
 * `/status`: `optime`, `slots`, `retain_slots`. Like Patroni 4.x, `slots` and
 * `retain_slots` not given are carried over from the last known value, so a
 * write of the optime alone (on demotion) keeps them.
 */
export function statusJson(status: StatusValue, previous: string | undefined): string {
  const parsed = previous === undefined ? undefined : parseJsonLeniently(previous);
  const last = isPlainObject(parsed) ? parsed : {};
  const { optime, slots, retain_slots: retainSlots, ...rest } = status;
  const carriedSlots = slots ?? (isPlainObject(last['slots']) ? last['slots'] : undefined);
  const carriedRetain = retainSlots ?? (Array.isArray(last['retain_slots']) ? last['retain_slots'] : undefined);
  return toPatroniJson({
    ...(optime !== undefined ? { optime } : {}),
    ...(carriedSlots !== undefined ? { slots: carriedSlots } : {}),
    ...(carriedRetain !== undefined ? { retain_slots: carriedRetain } : {}),
    ...rest,
  });
}

/** `/sync` as Patroni 4.x writes it: `quorum` always present (null outside quorum commit), standbys sorted. */
export function syncJson(leader: string | null, sortedStandbys: readonly string[], quorum: number | undefined): string {
  return toPatroniJson({
    leader,
    quorum: quorum ?? null,
    sync_standby: sortedStandbys.length > 0 ? sortedStandbys.join(',') : null,
  });
}
