import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@pgwarden/testkit';
import { describe, expect, it } from 'vitest';
import { formatLsn, oldestLocalWal } from './slots.js';

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
