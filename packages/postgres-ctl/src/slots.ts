/**
 * Physical replication slots: one per member that streams from us plus the
 * permanent ones, created when missing and dropped when no longer wanted
 * (only inactive ones: dropping an active slot would cut a live standby;
 * never one that `ignore_slots` matches). Logical slots are left alone.
 */
import { isIgnoredSlot, slotNameForMember, type SlotMatcher } from '@pgwarden/core';
import type { Context } from './context.js';

export interface DesiredSlots {
  /** Member names that stream from us; their slot names come from core's slotNameForMember. */
  readonly members: readonly string[];
  /** Permanent physical slot names from the dynamic configuration. */
  readonly permanent?: readonly string[];
  /** Slots never dropped (`ignore_slots` matchers, compared by core's isIgnoredSlot). */
  readonly ignore?: readonly SlotMatcher[];
  /** Drop unknown slots (default true; the daemon passes false while paused). */
  readonly dropUnknown?: boolean;
}

export interface SlotSyncOutcome {
  readonly created: readonly string[];
  readonly dropped: readonly string[];
  /** Unknown slots kept because they are active. */
  readonly keptActive: readonly string[];
}

const validSlotName = /^[a-z0-9_]{1,63}$/;

export function desiredSlotNames(self: string, desired: DesiredSlots): string[] {
  const names = new Set<string>();
  const own = slotNameForMember(self);
  for (const member of desired.members) names.add(slotNameForMember(member));
  for (const name of desired.permanent ?? []) names.add(name);
  names.delete(own);
  return [...names].filter((name) => validSlotName.test(name)).sort();
}

export async function syncReplicationSlots(context: Context, desired: DesiredSlots): Promise<SlotSyncOutcome> {
  const wanted = desiredSlotNames(context.options.name, desired);
  const rows = await context.local.query<{ slot_name: string; active: boolean }>(
    "SELECT slot_name, active FROM pg_catalog.pg_replication_slots WHERE slot_type = 'physical'",
  );
  const existing = new Map(rows.map((row) => [row.slot_name, row.active]));
  const created: string[] = [];
  const dropped: string[] = [];
  const keptActive: string[] = [];
  for (const name of wanted) {
    if (existing.has(name)) continue;
    await context.local.query(
      'SELECT pg_catalog.pg_create_physical_replication_slot($1, true) WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1)',
      [name],
    );
    created.push(name);
  }
  if (desired.dropUnknown !== false) {
    for (const [name, active] of existing) {
      if (wanted.includes(name) || isIgnoredSlot({ name, type: 'physical' }, desired.ignore)) continue;
      if (active) {
        keptActive.push(name);
        continue;
      }
      await context.local.query('SELECT pg_catalog.pg_drop_replication_slot($1) FROM pg_catalog.pg_replication_slots WHERE slot_name = $1 AND NOT active', [name]);
      dropped.push(name);
    }
  }
  if (created.length > 0 || dropped.length > 0) context.logger.info({ created, dropped }, 'replication slots synced');
  return { created, dropped, keptActive };
}
