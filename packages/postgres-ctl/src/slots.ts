/**
 * Replication slots (spec/postgres.md §slots).
 *
 * - Physical: one per member that streams from us plus the permanent ones,
 *   created when missing (reserving WAL at once). On a replica (PostgreSQL
 *   11+) permanent ones are advanced to the positions the leader published.
 * - Logical (permanent, PostgreSQL 11+): created on the primary in their
 *   database; on a replica only advanced (`pg_replication_slot_advance` in
 *   the slot's database) — a missing one is copied from the primary by
 *   copyLogicalSlots, which needs a restart of the replica.
 * - Unknown slots are dropped (on every member, as Patroni does), and on the
 *   primary slots whose type, database or plugin differ from their
 *   definition: only inactive ones (dropping an
 *   active slot would cut a live consumer), never one `ignore_slots`
 *   matches, never while paused (the caller passes dropUnknown false).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { isIgnoredSlot, slotNameForMember, type FollowTarget, type LocalSlot, type LogicalSlotSpec, type SlotMatcher } from '@pgwarden/core';
import type { Context } from './context.js';
import { localConnectionSettings } from './context.js';
import { parseConnUrl } from './files/conninfo.js';
import { withClient, type ConnectionSettings, type Row } from './sql/connection.js';

export interface DesiredSlots {
  /** Member names that stream from us; their slot names come from core's slotNameForMember. */
  readonly members: readonly string[];
  /** Permanent physical slot names from the dynamic configuration. */
  readonly permanent?: readonly string[];
  /** Permanent logical slots (created on a primary, advanced on a replica). */
  readonly logical?: readonly LogicalSlotSpec[];
  /** Replica: positions (bytes) to move existing slots forward to. */
  readonly advance?: Readonly<Record<string, number>>;
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
  /** Slots moved forward (replica). */
  readonly advanced: readonly string[];
}

const validSlotName = /^[a-z0-9_]{1,63}$/;

/** pg_replication_slots with positions in bytes (also what observe() reports). */
const replicationSlotsQuery = `
SELECT slot_name, slot_type, database, plugin, active,
  pg_wal_lsn_diff(restart_lsn, '0/0')::bigint AS restart_lsn,
  pg_wal_lsn_diff(confirmed_flush_lsn, '0/0')::bigint AS confirmed_flush_lsn,
  catalog_xmin::text::bigint AS catalog_xmin
FROM pg_catalog.pg_replication_slots`;

function toNumber(value: unknown): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/** The slots as one json column of a larger query (observe's, the slot sync's fresh read). */
export const replicationSlotsColumn = `(SELECT json_agg(s) FROM (${replicationSlotsQuery}) s)`;

/** replicationSlotsColumn's value (NULL when there is no slot) as LocalSlots. */
export function slotsFromColumn(value: unknown): LocalSlot[] {
  return Array.isArray(value) ? (value as Row[]).map(toLocalSlot) : [];
}

function toLocalSlot(row: Row): LocalSlot {
  const restartLsn = toNumber(row['restart_lsn']);
  const confirmedFlushLsn = toNumber(row['confirmed_flush_lsn']);
  const catalogXmin = toNumber(row['catalog_xmin']);
  return {
    name: String(row['slot_name']),
    type: row['slot_type'] === 'logical' ? 'logical' : 'physical',
    ...(row['database'] ? { database: String(row['database']) } : {}),
    ...(row['plugin'] ? { plugin: String(row['plugin']) } : {}),
    active: row['active'] === true,
    ...(restartLsn !== undefined ? { restartLsn } : {}),
    ...(confirmedFlushLsn !== undefined ? { confirmedFlushLsn } : {}),
    ...(catalogXmin !== undefined ? { catalogXmin } : {}),
  };
}

export function desiredSlotNames(self: string, desired: DesiredSlots): string[] {
  const names = new Set<string>();
  const own = slotNameForMember(self);
  for (const member of desired.members) names.add(slotNameForMember(member));
  for (const name of desired.permanent ?? []) names.add(name);
  names.delete(own);
  return [...names].filter((name) => validSlotName.test(name)).sort();
}

/** `0/16B3748` from bytes. */
export function formatLsn(bytes: number): string {
  const high = Math.floor(bytes / 0x1_0000_0000);
  const low = bytes - high * 0x1_0000_0000;
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}

function matchesSpec(slot: LocalSlot, spec: LogicalSlotSpec): boolean {
  return slot.type === 'logical' && slot.database === spec.database && slot.plugin === spec.plugin;
}

function inDatabase(context: Context, database: string): ConnectionSettings {
  return localConnectionSettings(context.options, { database, applicationName: 'pgwarden slots' });
}

function groupByDatabase<T extends { readonly database: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(item.database, [...(groups.get(item.database) ?? []), item]);
  return groups;
}

/** What a slot sync does, computed from the slots that exist and the recovery state. */
export interface SlotSyncPlan {
  /** Inactive slots to drop (unknown ones, and logical ones unlike their definition). */
  readonly drop: readonly string[];
  /** Unknown slots kept because they are active. */
  readonly keptActive: readonly string[];
  readonly createPhysical: readonly string[];
  /** Primary only: permanent logical slots to create. */
  readonly createLogical: readonly LogicalSlotSpec[];
  /** Replica only: physical slots to move forward to a published position. */
  readonly advancePhysical: ReadonlyArray<{ readonly name: string; readonly position: number }>;
  /** Replica only: logical slots to move forward, in their database. */
  readonly advanceLogical: ReadonlyArray<{ readonly database: string; readonly name: string; readonly position: number }>;
}

/** Whether carrying out the plan would change anything (keeping an active slot changes nothing). */
export function slotPlanIsEmpty(plan: SlotSyncPlan): boolean {
  return plan.drop.length + plan.createPhysical.length + plan.createLogical.length + plan.advancePhysical.length + plan.advanceLogical.length === 0;
}

/** The sync of `desired` for member `self` against `existing` slots; pure. */
export function planSlotSync(self: string, desired: DesiredSlots, existing: readonly LocalSlot[], inRecovery: boolean): SlotSyncPlan {
  const wanted = desiredSlotNames(self, desired);
  const logical = (desired.logical ?? []).filter((slot) => validSlotName.test(slot.name) && !wanted.includes(slot.name));
  const logicalByName = new Map(logical.map((slot) => [slot.name, slot]));
  const remaining = new Map(existing.map((slot) => [slot.name, slot]));
  const drop: string[] = [];
  const keptActive: string[] = [];
  if (desired.dropUnknown !== false) {
    for (const slot of existing) {
      const spec = logicalByName.get(slot.name);
      const known = spec !== undefined ? matchesSpec(slot, spec) : wanted.includes(slot.name) && slot.type === 'physical';
      if (known || isIgnoredSlot(slot, desired.ignore)) continue;
      if (slot.active) {
        keptActive.push(slot.name);
        continue;
      }
      drop.push(slot.name);
      remaining.delete(slot.name);
    }
  }
  // A name held by an active logical slot stays as it is (an inactive one was dropped above).
  const createPhysical = wanted.filter((name) => !remaining.has(name));
  const createLogical = inRecovery ? [] : logical.filter((slot) => !remaining.has(slot.name));
  const advancePhysical: Array<{ name: string; position: number }> = [];
  const advanceLogical: Array<{ database: string; name: string; position: number }> = [];
  if (inRecovery) {
    // Never back (PostgreSQL refuses that), never an active slot, a logical one only when it matches its definition.
    for (const [name, position] of Object.entries(desired.advance ?? {})) {
      const slot = remaining.get(name);
      if (slot === undefined || slot.active) continue;
      const spec = logicalByName.get(name);
      if (slot.type === 'physical' && spec === undefined) {
        if (slot.restartLsn !== undefined && position > slot.restartLsn) advancePhysical.push({ name, position });
      } else if (spec !== undefined && matchesSpec(slot, spec) && (slot.confirmedFlushLsn === undefined || position > slot.confirmedFlushLsn)) {
        advanceLogical.push({ database: spec.database, name, position });
      }
    }
  }
  return { drop, keptActive, createPhysical, createLogical, advancePhysical, advanceLogical };
}

/**
 * Bring the slots to `desired`. `observed` is what this cycle's observation
 * saw (slots and recovery state, read moments ago): when the plan made from it
 * changes nothing, nothing is read again — the common case, every cycle of an
 * idle cluster, is then no round trip at all. Otherwise the slots are read
 * afresh and the plan made again from what is there now.
 */
export async function syncReplicationSlots(context: Context, desired: DesiredSlots, observed?: { readonly slots: readonly LocalSlot[]; readonly inRecovery: boolean }): Promise<SlotSyncOutcome> {
  const self = context.options.name;
  if (observed !== undefined) {
    const plan = planSlotSync(self, desired, observed.slots, observed.inRecovery);
    if (slotPlanIsEmpty(plan)) return { created: [], dropped: [], keptActive: plan.keptActive, advanced: [] };
  }
  const [state] = await context.local.query(`SELECT pg_catalog.pg_is_in_recovery() AS in_recovery, ${replicationSlotsColumn} AS slots`);
  const inRecovery = state?.['in_recovery'] === true;
  const existing = slotsFromColumn(state?.['slots']);
  const plan = planSlotSync(self, desired, existing, inRecovery);
  const created: string[] = [];
  const dropped: string[] = [];
  const advanced: string[] = [];
  for (const name of plan.drop) {
    await context.local.query('SELECT pg_catalog.pg_drop_replication_slot($1) FROM pg_catalog.pg_replication_slots WHERE slot_name = $1 AND NOT active', [name]);
    dropped.push(name);
  }
  for (const name of plan.createPhysical) {
    await context.local.query(
      'SELECT pg_catalog.pg_create_physical_replication_slot($1, true) WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1)',
      [name],
    );
    created.push(name);
  }
  for (const [database, slots] of groupByDatabase(plan.createLogical)) {
    await withClient(inDatabase(context, database), async (client) => {
      for (const slot of slots) {
        try {
          await client.query(
            "SELECT pg_catalog.pg_create_logical_replication_slot($1, $2) WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_type = 'logical' AND slot_name = $1)",
            [slot.name, slot.plugin],
          );
          created.push(slot.name);
        } catch (error) {
          context.logger.error({ slot: slot.name, plugin: slot.plugin, database, error: (error as Error).message }, 'failed to create a logical replication slot');
        }
      }
    });
  }
  await advanceSlots(context, plan, advanced);
  if (created.length > 0 || dropped.length > 0) context.logger.info({ created, dropped }, 'replication slots synced');
  return { created, dropped, keptActive: plan.keptActive, advanced };
}

/**
 * Replica: move permanent slots forward to the published positions (the plan
 * keeps only moves forward; PostgreSQL clamps at what was replayed). A
 * failure is logged per slot; the next cycle tries again.
 */
async function advanceSlots(context: Context, plan: SlotSyncPlan, advanced: string[]): Promise<void> {
  for (const { name, position } of plan.advancePhysical) {
    try {
      await context.local.query('SELECT pg_catalog.pg_replication_slot_advance($1, $2::pg_lsn)', [name, formatLsn(position)]);
      advanced.push(name);
    } catch (error) {
      context.logger.error({ slot: name, position: formatLsn(position), error: (error as Error).message }, 'failed to advance a physical replication slot');
    }
  }
  for (const [database, slots] of groupByDatabase(plan.advanceLogical)) {
    try {
      await withClient(inDatabase(context, database), async (client) => {
        for (const slot of slots) {
          try {
            await client.query('SELECT pg_catalog.pg_replication_slot_advance($1, $2::pg_lsn)', [slot.name, formatLsn(slot.position)]);
            advanced.push(slot.name);
          } catch (error) {
            const message = (error as Error).message;
            context.logger.error({ slot: slot.name, position: formatLsn(slot.position), error: message }, 'failed to advance a logical replication slot');
            // The copy needs WAL this replica no longer has: it can never advance. Drop it so that it
            // is copied again (Patroni re-copies on this error); copyLogicalSlots waits until the
            // primary's slot has moved past what we lack.
            if (/has already been removed/.test(message)) {
              await context.local.query('SELECT pg_catalog.pg_drop_replication_slot($1) FROM pg_catalog.pg_replication_slots WHERE slot_name = $1 AND NOT active', [slot.name]);
              context.logger.warn({ slot: slot.name }, 'dropped a logical slot copy whose WAL is gone; it will be copied again');
            }
          }
        }
      });
    } catch (error) {
      context.logger.error({ database, error: (error as Error).message }, 'failed to advance replication slots in a database');
    }
  }
}

export interface CopiedSlotState {
  readonly name: string;
  readonly data: Buffer;
  /** The slot's restart_lsn on the primary (bytes): the copy needs WAL from there on. */
  readonly restartLsn?: number;
}

/**
 * Read the `state` files of these logical slots from the primary (rewind
 * credentials, as Patroni does: they may read files of the data directory).
 * A slot whose type, database or plugin there differ from its definition is
 * not copied.
 */
export async function readLogicalSlotStates(context: Context, slots: readonly LogicalSlotSpec[], source: FollowTarget): Promise<CopiedSlotState[]> {
  const endpoint = parseConnUrl(source.connUrl ?? '');
  const { authentication } = context.options;
  const credentials = authentication.rewind ?? authentication.superuser;
  const settings: ConnectionSettings = {
    host: endpoint.host,
    port: endpoint.port,
    user: credentials.username,
    ...(credentials.password !== undefined ? { password: credentials.password } : {}),
    database: context.options.database,
    connectTimeoutSeconds: 3,
    statementTimeoutMs: 2000,
    applicationName: 'pgwarden copy slots',
  };
  const rows = await withClient(settings, (client) =>
    client.query<Row>(
      `SELECT slot_name, slot_type, datname, plugin, pg_catalog.pg_wal_lsn_diff(restart_lsn, '0/0')::bigint AS restart_lsn,
              pg_catalog.pg_read_binary_file('pg_replslot/' || slot_name || '/state') AS data
       FROM pg_catalog.pg_get_replication_slots() JOIN pg_catalog.pg_database ON datoid = oid
       WHERE NOT pg_catalog.pg_is_in_recovery() AND slot_name = ANY($1)`,
      [slots.map((slot) => slot.name)],
    ),
  );
  const states: CopiedSlotState[] = [];
  for (const row of rows.rows) {
    const spec = slots.find((slot) => slot.name === row['slot_name']);
    if (spec === undefined) continue;
    if (row['slot_type'] !== 'logical' || row['datname'] !== spec.database || row['plugin'] !== spec.plugin) {
      context.logger.warn({ slot: spec.name, configured: spec, onPrimary: { type: row['slot_type'], database: row['datname'], plugin: row['plugin'] } }, 'not copying a logical slot whose definition differs on the primary');
      continue;
    }
    const restartLsn = toNumber(row['restart_lsn']);
    states.push({ name: spec.name, data: row['data'] as Buffer, ...(restartLsn !== undefined ? { restartLsn } : {}) });
  }
  return states;
}

/**
 * The first WAL position this replica still has (its oldest segment in
 * pg_wal), or undefined when it cannot tell. A copied slot whose
 * restart_lsn is older could never be decoded or advanced here.
 */
export function oldestLocalWal(dataDir: string, segmentSize: number): number | undefined {
  let oldest: number | undefined;
  try {
    for (const name of readdirSync(join(dataDir, 'pg_wal'))) {
      if (!/^[0-9A-F]{24}$/.test(name)) continue;
      const high = Number.parseInt(name.slice(8, 16), 16);
      const low = Number.parseInt(name.slice(16, 24), 16);
      const start = high * 0x1_0000_0000 + low * segmentSize;
      if (oldest === undefined || start < oldest) oldest = start;
    }
  } catch {
    return undefined;
  }
  return oldest;
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Write copied slot states into `pg_replslot` of a stopped server, each
 * atomically: a temporary directory written and synced, then renamed over
 * the old one, then the parent synced.
 */
export function writeLogicalSlotStates(context: Context, states: readonly CopiedSlotState[]): void {
  const root = join(context.paths.dataDir, 'pg_replslot');
  const { user } = context;
  for (const state of states) {
    const directory = join(root, state.name);
    const temporary = `${directory}.tmp`;
    rmSync(temporary, { recursive: true, force: true });
    mkdirSync(temporary, { mode: 0o700 });
    const file = join(temporary, 'state');
    writeFileSync(file, state.data, { mode: 0o600 });
    fsyncPath(file);
    if (user.switchIdentity) {
      chownSync(file, user.uid, user.gid);
      chownSync(temporary, user.uid, user.gid);
    }
    fsyncPath(temporary);
    if (existsSync(directory)) rmSync(directory, { recursive: true, force: true });
    renameSync(temporary, directory);
    fsyncPath(directory);
  }
  fsyncPath(root);
}
