import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initialMemory, type HaMemory } from '@pgwarden/core';
import { recordingLogger } from '../../test/doubles.js';
import { knownMembersKeeper, knownMembersPath, readKnownMembers } from './known-members-file.js';

const parents: string[] = [];
/** An empty data directory in a parent of its own. */
function dataDir(): string {
  const parent = mkdtempSync(join(tmpdir(), 'pgwarden-known-'));
  parents.push(parent);
  mkdirSync(join(parent, 'data'));
  return join(parent, 'data');
}
const knowing = (names: readonly string[]): HaMemory => ({ ...initialMemory(), knownMembers: names });

afterEach(() => {
  for (const parent of parents.splice(0)) rmSync(parent, { recursive: true, force: true });
});

describe('the member names kept beside the data directory', () => {
  it('are written when they change and read back by the next agent; the data directory stays empty', async () => {
    const dir = dataDir();
    expect(knownMembersPath(dir)).toBe(join(dir, '..', '.data.pgwarden.members'));
    expect(readKnownMembers(dir)).toEqual([]);
    const keep = knownMembersKeeper(dir, [], recordingLogger());
    keep(knowing(['node1', 'node2']));
    await keep.settled();
    expect(readKnownMembers(dir)).toEqual(['node1', 'node2']);
    keep(knowing(['node1', 'node2', 'node3']));
    await keep.settled();
    expect(readKnownMembers(dir)).toEqual(['node1', 'node2', 'node3']);
    expect(readdirSync(dir)).toEqual([]);
    expect(readdirSync(join(dir, '..')).sort()).toEqual(['.data.pgwarden.members', 'data']);
  });

  it('are not written again while they stay the same, nor when the agent started with them', async () => {
    const dir = dataDir();
    const keep = knownMembersKeeper(dir, ['node1', 'node2'], recordingLogger());
    keep(knowing(['node1', 'node2']));
    await keep.settled();
    expect(readdirSync(join(dir, '..'))).toEqual(['data']);
    keep(knowing(['node2', 'node1']));
    await keep.settled();
    writeFileSync(knownMembersPath(dir), '["changed behind its back"]');
    keep(knowing(['node2', 'node1']));
    await keep.settled();
    expect(readKnownMembers(dir)).toEqual(['changed behind its back']);
  });

  it('a write that fails is logged, returns at once, and is tried again at the next cycle', async () => {
    const dir = dataDir();
    const logger = recordingLogger();
    const keep = knownMembersKeeper(dir, [], logger);
    // A directory in the file's place: the rename fails, as root too.
    mkdirSync(knownMembersPath(dir));
    writeFileSync(join(knownMembersPath(dir), 'x'), '');
    keep(knowing(['node1']));
    await keep.settled();
    expect(logger.lines.map((line) => `${line.level} ${line.message}`)).toEqual(['warn could not keep the known member names for the next agent']);
    keep(knowing(['node1']));
    await keep.settled();
    expect(logger.lines).toHaveLength(1);
    rmSync(knownMembersPath(dir), { recursive: true });
    keep(knowing(['node1']));
    await keep.settled();
    expect(readKnownMembers(dir)).toEqual(['node1']);
  });

  it('read as none from a file that is not a list of names', () => {
    const dir = dataDir();
    writeFileSync(knownMembersPath(dir), '{"node1": true}');
    expect(readKnownMembers(dir)).toEqual([]);
    writeFileSync(knownMembersPath(dir), '["node1", 7, "node2"]');
    expect(readKnownMembers(dir)).toEqual(['node1', 'node2']);
    writeFileSync(knownMembersPath(dir), 'not json');
    expect(readKnownMembers(dir)).toEqual([]);
    expect(readFileSync(knownMembersPath(dir), 'utf8')).toBe('not json');
  });
});
