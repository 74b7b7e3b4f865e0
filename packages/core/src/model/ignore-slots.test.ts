import { describe, expect, it } from 'vitest';
import { isIgnoredSlot, type ObservedSlot } from './ignore-slots.js';

const physical: ObservedSlot = { name: 'backup_tool', type: 'physical' };
const logical: ObservedSlot = { name: 'debezium', type: 'logical', database: 'shop', plugin: 'pgoutput' };

describe('isIgnoredSlot (Patroni ignore_slots matching)', () => {
  it('without matchers nothing is ignored', () => {
    expect(isIgnoredSlot(physical, undefined)).toBe(false);
    expect(isIgnoredSlot(physical, [])).toBe(false);
  });
  it('a matcher with only a name ignores the slot of that name, whatever its type', () => {
    expect(isIgnoredSlot(physical, [{ name: 'backup_tool' }])).toBe(true);
    expect(isIgnoredSlot(physical, [{ name: 'other' }])).toBe(false);
  });
  it('a matcher with only a type ignores every slot of that type', () => {
    expect(isIgnoredSlot(physical, [{ type: 'physical' }])).toBe(true);
    expect(isIgnoredSlot(physical, [{ type: 'logical' }])).toBe(false);
    expect(isIgnoredSlot(logical, [{ type: 'logical' }])).toBe(true);
  });
  it('every key a matcher sets must match: a database or plugin never matches a physical slot', () => {
    expect(isIgnoredSlot(physical, [{ name: 'backup_tool', database: 'shop' }])).toBe(false);
    expect(isIgnoredSlot(physical, [{ plugin: 'pgoutput' }])).toBe(false);
    expect(isIgnoredSlot(logical, [{ database: 'shop', plugin: 'pgoutput' }])).toBe(true);
    expect(isIgnoredSlot(logical, [{ database: 'shop', plugin: 'wal2json' }])).toBe(false);
  });
  it('an empty value of a key matches anything, as Patroni treats it', () => {
    expect(isIgnoredSlot(physical, [{ name: 'backup_tool', database: '' }])).toBe(true);
  });
  it('one matching matcher among several is enough', () => {
    expect(isIgnoredSlot(physical, [{ name: 'x' }, { type: 'physical', name: 'backup_tool' }])).toBe(true);
  });
});
