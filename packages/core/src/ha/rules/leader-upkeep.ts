/**
 * What the leader keeps in order once its lock is renewed, after the
 * decision's own actions (spec/ha-loop.md §4 step 13, §5.2):
 *
 * - `/config` — written when the cluster has none (after bootstrap, after a
 *   wiped DCS), create-only, from the dynamic configuration this member
 *   holds, so an operator's edit is never overwritten;
 * - replication slots — one physical slot per member that streams from us
 *   (not `nostream`, not cascading from another member that exists) and each
 *   permanent physical slot; unknown ones are dropped except in pause and
 *   except those `ignore_slots` matches (the adapter applies isIgnoredSlot). A
 *   replica's slot exists before its clone finishes (its member key appears
 *   when the clone starts), so WAL it needs is never recycled;
 * - permanent logical slots (PostgreSQL 11+) — created on the primary in
 *   their database; their positions, and those of the permanent physical
 *   slots, go to `/status` with every renewal so replicas can follow them.
 *
 * Replicas (spec/postgres.md §slots, as Patroni 3 does on v11+) keep the
 * permanent physical slots too and copies of the logical ones, advanced to
 * the positions the leader published and never beyond: after a failover a
 * logical consumer finds its slot on the new primary at or before the
 * position it confirmed, so it misses nothing (it skips what it already has).
 */
import type { Action, LogicalSlotSpec } from '../../model/actions.js';
import type { Cluster } from '../../model/cluster.js';
import { slotNameForMember } from '../../model/cluster-helpers.js';
import type { Context } from '../context.js';
import { isNoFailover, leaderMember, ownsLock, tag, targetOf } from '../context.js';

export function clusterConfigActions(ctx: Context): Action[] {
  const wanted = ctx.input.dynamicConfig;
  const current = ctx.cluster.config;
  if (wanted === undefined || (current !== undefined && Object.keys(current.data).length > 0)) return [];
  return [{ type: 'write-config', value: wanted, version: current?.version ?? 0 }];
}

function streamingMembers(cluster: Cluster, self: string): string[] {
  return cluster.members
    .filter((member) => member.name !== self)
    .filter((member) => member.data.tags?.['nostream'] !== true)
    .filter((member) => {
      const from = member.data.tags?.['replicatefrom'];
      return from === undefined || from === self || !cluster.members.some((other) => other.name === from);
    })
    .map((member) => member.name);
}

const validSlotName = /^[a-z0-9_]{1,63}$/;
/** pg_replication_slot_advance: permanent slots on replicas and logical slots need it. */
const SLOT_ADVANCE_VERSION = 110000;

function canAdvanceSlots(ctx: Context): boolean {
  const version = ctx.input.local.serverVersion;
  return version === undefined || version >= SLOT_ADVANCE_VERSION;
}

/**
 * The permanent logical slots this member keeps: valid names that do not
 * clash with a member's slot, on PostgreSQL 11+, never in a standby cluster
 * (no logical decoding there), never on a `nofailover` member (it cannot
 * become the primary the consumer moves to) or a `nostream` one (no feedback
 * holds the catalog rows a copy needs).
 */
export function permanentLogicalSlots(ctx: Context): LogicalSlotSpec[] {
  const { settings } = ctx.input;
  if (settings.useSlots === false || settings.standbyCluster !== undefined || !canAdvanceSlots(ctx)) return [];
  if (isNoFailover(ctx) || tag(ctx, 'nostream') === true) return [];
  const memberSlots = new Set(ctx.cluster.members.map((member) => slotNameForMember(member.name)));
  return (settings.permanentLogicalSlots ?? []).filter((slot) => validSlotName.test(slot.name) && !memberSlots.has(slot.name));
}

/** Permanent physical slot names, but not our own member's (it would be a slot to ourselves). */
function permanentPhysicalSlots(ctx: Context): string[] {
  const own = slotNameForMember(ctx.name);
  return (ctx.input.settings.permanentSlots ?? []).filter((name) => validSlotName.test(name) && name !== own);
}

/** `member_slots_ttl` in ms when it applies (PostgreSQL 11+, slots on, ttl above 0), else undefined. */
function memberSlotsTtlMs(ctx: Context): number | undefined {
  const seconds = ctx.input.settings.memberSlotsTtlSeconds ?? 1800;
  if (seconds <= 0 || ctx.input.settings.useSlots === false || !canAdvanceSlots(ctx)) return undefined;
  return seconds * 1000;
}

/**
 * The leader's `member_slots_ttl` bookkeeping (Patroni 4): each member slot
 * name with when its member was last listed; a name unseen for the ttl is
 * forgotten. A new leader starts from `/status` retain_slots, as if each
 * had just been seen. `names` go to `/status` as retain_slots.
 */
export function retainedMemberSlots(ctx: Context): { readonly seenAtMs: Record<string, number>; readonly names: string[] } | undefined {
  const ttlMs = memberSlotsTtlMs(ctx);
  if (ttlMs === undefined) return undefined;
  const now = ctx.input.nowMs;
  // Our own bookkeeping only if we led last cycle: a leader that just took over starts from /status.
  const previous = (ctx.memory.isLeader ? ctx.memory.memberSlotsSeenAtMs : undefined) ?? Object.fromEntries((ctx.cluster.retainSlots ?? []).map((name) => [name, now]));
  const seenAtMs: Record<string, number> = {};
  for (const [name, at] of Object.entries(previous)) if (validSlotName.test(name) && now - at < ttlMs) seenAtMs[name] = at;
  for (const member of ctx.cluster.members) seenAtMs[slotNameForMember(member.name)] = now;
  return { seenAtMs, names: Object.keys(seenAtMs).sort() };
}

/** Retained slot names whose member is no longer listed (the slot waits for it to come back). */
function departedMemberSlots(ctx: Context, retained: readonly string[]): string[] {
  const present = new Set(ctx.cluster.members.map((member) => slotNameForMember(member.name)));
  const own = slotNameForMember(ctx.name);
  return retained.filter((name) => !present.has(name) && name !== own);
}

export function slotActions(ctx: Context): Action[] {
  const { local, settings } = ctx.input;
  if (settings.useSlots === false || !local.running || !local.accepting || local.inRecovery) return [];
  const ignore = settings.ignoreSlots ?? [];
  const logical = permanentLogicalSlots(ctx);
  const departed = departedMemberSlots(ctx, retainedMemberSlots(ctx)?.names ?? []);
  return [
    {
      type: 'sync-slots',
      members: [...streamingMembers(ctx.cluster, ctx.name), ...departed],
      permanent: settings.permanentSlots ?? [],
      dropUnknown: !settings.paused,
      ...(ignore.length > 0 ? { ignore } : {}),
      ...(logical.length > 0 ? { logical } : {}),
    },
  ];
}

/**
 * The `/status` slots the leader publishes with its renewal: each permanent
 * physical slot at its restart_lsn (our own member-named one at our WAL
 * position), each permanent logical slot at its confirmed_flush_lsn.
 * Undefined when there is nothing to publish (the key keeps what it had).
 */
export function publishedSlotPositions(ctx: Context): Record<string, number> | undefined {
  const { local, settings } = ctx.input;
  if (settings.useSlots === false || !local.running || !canAdvanceSlots(ctx)) return undefined;
  const physical = settings.permanentSlots ?? [];
  const logical = settings.standbyCluster === undefined ? permanentLogicalSlots(ctx) : [];
  if (physical.length === 0 && logical.length === 0) return undefined;
  const observed = new Map((local.replicationSlots ?? []).map((slot) => [slot.name, slot]));
  const own = slotNameForMember(ctx.name);
  const positions: Record<string, number> = {};
  for (const name of physical) {
    const position = name === own ? local.walPosition : observed.get(name)?.restartLsn;
    if (position !== undefined && position > 0) positions[name] = position;
  }
  for (const slot of logical) {
    const found = observed.get(slot.name);
    if (found?.type === 'logical' && found.confirmedFlushLsn !== undefined) positions[slot.name] = found.confirmedFlushLsn;
  }
  return positions;
}

/**
 * A running replica keeps a slot for each member that streams from it
 * (spec/postgres.md §slots): the members whose `replicatefrom` names us —
 * or, for the standby leader of a standby cluster, every member that
 * follows it — and, on PostgreSQL 11+, the permanent slots, advanced to the
 * positions the leader published (a permanent physical slot named after a
 * member also to that member's reported position). Nothing is dropped here:
 * a replica's other slots may be copies an operator or a backup tool relies
 * on. Emitted only when there is such a slot, so the idle replica cycle of
 * a cluster without them costs no query.
 */
export function replicaSlotActions(ctx: Context, standbyLeader: boolean): Action[] {
  const { local, settings } = ctx.input;
  if (settings.useSlots === false || !local.running || !local.inRecovery) return [];
  const cascading = standbyLeader
    ? streamingMembers(ctx.cluster, ctx.name)
    : ctx.cluster.members
        .filter((member) => member.name !== ctx.name && member.name !== ctx.cluster.leader?.name)
        .filter((member) => member.data.tags?.['nostream'] !== true && member.data.tags?.['replicatefrom'] === ctx.name)
        .map((member) => member.name);
  // member_slots_ttl (Patroni 4): a member that may become primary already holds a slot for
  // every other member, so whoever follows it after a failover finds its WAL kept.
  const keepsMemberSlots = !standbyLeader && !isNoFailover(ctx) && memberSlotsTtlMs(ctx) !== undefined;
  const everyone = keepsMemberSlots
    ? [
        ...ctx.cluster.members.filter((member) => member.name !== ctx.name && member.data.tags?.['nostream'] !== true).map((member) => member.name),
        ...departedMemberSlots(ctx, ctx.cluster.retainSlots ?? []),
      ]
    : [];
  const members = [...new Set([...cascading, ...everyone])];
  const keepsPermanent = !isNoFailover(ctx) && (canAdvanceSlots(ctx) || standbyLeader);
  const permanent = keepsPermanent ? permanentPhysicalSlots(ctx) : [];
  const logical = standbyLeader ? [] : permanentLogicalSlots(ctx);
  if (members.length === 0 && permanent.length === 0 && logical.length === 0) return [];
  const published = ctx.cluster.slots ?? {};
  const advance: Record<string, number> = {};
  if (canAdvanceSlots(ctx)) {
    for (const name of permanent) {
      const reported = ctx.cluster.members.find((member) => slotNameForMember(member.name) === name)?.data.xlog_location;
      const position = Math.max(published[name] ?? 0, typeof reported === 'number' ? reported : 0);
      if (position > 0) advance[name] = position;
    }
    for (const slot of logical) {
      const position = published[slot.name];
      if (position !== undefined && position > 0) advance[slot.name] = position;
    }
    if (keepsMemberSlots) {
      for (const member of ctx.cluster.members) {
        const name = slotNameForMember(member.name);
        if (!everyone.includes(member.name) || cascading.includes(member.name) || advance[name] !== undefined) continue;
        const reported = member.data.xlog_location;
        const position = Math.max(published[name] ?? 0, typeof reported === 'number' ? reported : 0);
        if (position > 0) advance[name] = position;
      }
    }
  }
  const ignore = settings.ignoreSlots ?? [];
  return [
    {
      type: 'sync-slots',
      members,
      permanent,
      // As Patroni: unknown inactive slots go on every member, never in pause, never an ignore_slots match.
      dropUnknown: !settings.paused,
      ...(ignore.length > 0 ? { ignore } : {}),
      ...(logical.length > 0 ? { logical } : {}),
      ...(Object.keys(advance).length > 0 ? { advance } : {}),
    },
  ];
}

/**
 * The permanent logical slots a streaming replica lacks and the leader has
 * published a position for: copied from the primary (Patroni's
 * copy_logical_slots; it restarts this replica). Only with the leader
 * running as primary, since the copy is read from it, and never by the
 * lock owner (a promoting member does not copy from itself).
 */
export function copyLogicalSlotsAction(ctx: Context): Action | undefined {
  const { local } = ctx.input;
  if (!local.running || !local.accepting || !local.inRecovery || local.replicationSlots === undefined || ownsLock(ctx)) return undefined;
  const leader = leaderMember(ctx);
  const source = targetOf(leader);
  if (leader === undefined || source?.connUrl === undefined || leader.data.role === undefined || !['primary', 'master'].includes(leader.data.role)) return undefined;
  const published = ctx.cluster.slots ?? {};
  const observed = new Map(local.replicationSlots.map((slot) => [slot.name, slot]));
  const missing = permanentLogicalSlots(ctx).filter((slot) => {
    if (published[slot.name] === undefined) return false;
    const found = observed.get(slot.name);
    return found === undefined || found.type !== 'logical' || found.database !== slot.database || found.plugin !== slot.plugin;
  });
  return missing.length === 0 ? undefined : { type: 'copy-logical-slots', slots: missing, source };
}

/** Appended to a leader's decision: nothing here may stand in front of a promotion or a demotion. */
export function leaderUpkeep(ctx: Context): Action[] {
  return [...clusterConfigActions(ctx), ...slotActions(ctx)];
}
