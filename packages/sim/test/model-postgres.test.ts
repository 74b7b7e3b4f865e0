/**
 * The PostgreSQL model keeps a standby's timeline and history consistent with
 * the WAL it holds, as PostgreSQL does (the history file of a timeline comes
 * before its WAL): otherwise a later promotion writes a history that hides a
 * fork, and the divergence figures count the model's error, not the agent's.
 */
import { describe, expect, it } from 'vitest';
import { bootstrapPg, copyFrom, emptyPg, promotePg, receiveWal } from '../src/model-postgres.js';
import { extend } from '../src/wal.js';

describe('receiveWal', () => {
  it('takes the source’s newer timeline and its history with WAL past the switch', () => {
    const primary = emptyPg();
    bootstrapPg(primary, 'sys', 1);
    const standby = emptyPg();
    copyFrom(standby, primary, 'node1');
    promotePg(primary, 2, undefined, '2025-06-15T00:00:00.000Z');
    primary.wal = extend(primary.wal, 500);
    receiveWal(standby, primary);
    expect(standby.wal).toBe(primary.wal);
    expect(standby.timeline).toBe(2);
    expect(standby.history).toEqual(primary.history);
    // The same timeline: only the WAL moves.
    const history = standby.history;
    primary.wal = extend(primary.wal, 100);
    receiveWal(standby, primary);
    expect(standby.wal.end).toBe(primary.wal.end);
    expect(standby.history).toBe(history);
  });
});
