import { describe, expect, it } from 'vitest';
import { applyKeyValuePairs, mergePatch, pgPairsAsSetPairs } from '../../src/ctl/edit/config-changes.js';
import { unifiedDiff } from '../../src/ctl/edit/unified-diff.js';
import { formatYaml } from '../../src/ctl/render/config-yaml.js';

const base = { ttl: 30, loop_wait: 10, postgresql: { parameters: { max_connections: 100 }, use_pg_rewind: true } };

describe('edit-config --set / --pg', () => {
  it('sets a dotted path with the value parsed as YAML', () => {
    expect(applyKeyValuePairs(base, ['loop_wait=5', 'postgresql.use_slots=on', 'tags.list=[a, b]'])).toEqual({
      ...base,
      loop_wait: 5,
      postgresql: { ...base.postgresql, use_slots: true },
      tags: { list: ['a', 'b'] },
    });
  });

  it('keeps dots of a GUC name under postgresql.parameters', () => {
    const changed = applyKeyValuePairs(base, pgPairsAsSetPairs(['pg_stat_statements.max=1000', ' shared_buffers=1GB']));
    expect(changed['postgresql']).toEqual({
      use_pg_rewind: true,
      parameters: { max_connections: 100, 'pg_stat_statements.max': 1000, shared_buffers: '1GB' },
    });
  });

  it('deletes with null or an empty value and prunes emptied maps', () => {
    expect(applyKeyValuePairs(base, ['postgresql.parameters.max_connections=null', 'ttl='])).toEqual({
      loop_wait: 10,
      postgresql: { use_pg_rewind: true },
    });
  });

  it('does not change its input', () => {
    applyKeyValuePairs(base, ['ttl=60']);
    expect(base.ttl).toBe(30);
  });

  it('refuses a pair without "="', () => {
    expect(() => applyKeyValuePairs(base, ['ttl'])).toThrow('Invalid parameter setting ttl');
  });
});

describe('edit-config --apply merge patch', () => {
  it('merges objects, replaces scalars and deletes nulls', () => {
    expect(mergePatch(base, { ttl: null, postgresql: { parameters: { work_mem: '8MB' } }, synchronous_mode: true })).toEqual({
      loop_wait: 10,
      postgresql: { parameters: { max_connections: 100, work_mem: '8MB' }, use_pg_rewind: true },
      synchronous_mode: true,
    });
  });
});

describe('unified diff of the YAML', () => {
  it('shows changed lines with three lines of context in difflib layout', () => {
    const before = formatYaml(base);
    const after = formatYaml(applyKeyValuePairs(base, ['loop_wait=5']));
    expect(unifiedDiff(before, after)).toEqual([
      '--- ',
      '+++ ',
      '@@ -1,4 +1,4 @@',
      '-loop_wait: 10',
      '+loop_wait: 5',
      ' postgresql:',
      '   parameters:',
      '     max_connections: 100',
    ]);
  });

  it('is empty for equal texts', () => {
    expect(unifiedDiff('a: 1\n', 'a: 1\n')).toEqual([]);
  });

  it('splits far-apart changes into separate hunks', () => {
    const before = Array.from({ length: 20 }, (_, i) => `k${i}: ${i}`).join('\n');
    const after = before.replace('k1: 1', 'k1: x').replace('k18: 18', 'k18: y');
    const hunks = unifiedDiff(before, after).filter((line) => line.startsWith('@@'));
    expect(hunks).toEqual(['@@ -1,5 +1,5 @@', '@@ -16,5 +16,5 @@']);
  });
});
