import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@pgwarden/testkit';
import { describe, expect, it } from 'vitest';
import type { LocalSlot } from '@pgwarden/core';
import { formatLsn, oldestLocalWal, planSlotSync, slotPlanIsEmpty } from './slots.js';

describe('slot positions', () => {
  it('formats bytes as an LSN', () => {
    expect(formatLsn(0x1_0000_0000 + 0x16b3748)).toBe('1/16B3748');
    expect(formatLsn(0)).toBe('0/0');
  });

  it("finds the oldest WAL position of a data directory from its segment names (any timeline)", () => {
    const dir = makeTempDir('slots-wal');
    try {
      mkdirSync(join(dir.path, 'pg_wal'));
      for (const name of ['000000020000000000000005', '000000010000000000000003', '000000010000000100000001', 'archive_status', '00000002.history']) {
        writeFileSync(join(dir.path, 'pg_wal', name), '');
      }
      expect(oldestLocalWal(dir.path, 16 * 1024 * 1024)).toBe(3 * 16 * 1024 * 1024);
      expect(oldestLocalWal(join(dir.path, 'absent'), 16 * 1024 * 1024)).toBeUndefined();
    } finally {
      dir.remove();
    }
  });
});

describe('planSlotSync', () => {
  const physical = (name: string, extra: Partial<LocalSlot> = {}): LocalSlot => ({ name, type: 'physical', active: false, ...extra });
  const logical = { name: 'cdc', database: 'app', plugin: 'pgoutput', type: 'logical' as const };

  it('on a primary: drops unknown inactive slots, keeps active ones, creates what is missing (a logical one too)', () => {
    const plan = planSlotSync('a', { members: ['a', 'b', 'c'], permanent: ['archiver'], logical: [logical] }, [physical('b'), physical('stray'), physical('busy', { active: true })], false);
    expect(plan).toMatchObject({ drop: ['stray'], keptActive: ['busy'], createPhysical: ['archiver', 'c'], advancePhysical: [], advanceLogical: [] });
    expect(plan.createLogical.map((slot) => slot.name)).toEqual(['cdc']);
    expect(slotPlanIsEmpty(plan)).toBe(false);
  });

  it('changes nothing when the slots are as desired, an active unknown one and a paused drop included', () => {
    expect(slotPlanIsEmpty(planSlotSync('a', { members: ['b'] }, [physical('b'), physical('busy', { active: true })], false))).toBe(true);
    expect(slotPlanIsEmpty(planSlotSync('a', { members: ['b'], dropUnknown: false }, [physical('b'), physical('stray')], false))).toBe(true);
  });

  it('on a replica: advances only forward, only inactive slots, only a logical one that matches its definition; creates no logical slot', () => {
    const existing: LocalSlot[] = [
      physical('behind', { restartLsn: 100 }),
      physical('ahead', { restartLsn: 500 }),
      physical('streaming', { restartLsn: 100, active: true }),
      { ...physical('cdc'), type: 'logical', database: 'app', plugin: 'pgoutput', confirmedFlushLsn: 200 },
    ];
    const plan = planSlotSync('a', { members: [], permanent: ['behind', 'ahead', 'streaming'], logical: [logical], advance: { behind: 300, ahead: 300, streaming: 300, cdc: 250 } }, existing, true);
    expect(plan).toMatchObject({ drop: [], createPhysical: [], createLogical: [], advancePhysical: [{ name: 'behind', position: 300 }], advanceLogical: [{ database: 'app', name: 'cdc', position: 250 }] });
    const otherPlugin = planSlotSync('a', { members: [], logical: [{ ...logical, plugin: 'wal2json' }], advance: { cdc: 250 }, dropUnknown: false }, existing.slice(3), true);
    expect(otherPlugin.advanceLogical).toEqual([]);
  });
});
