import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initialMemory, type HaMemory } from '@pgwarden/core';
import { KNOWN_MEMBERS_FILE, knownMembersKeeper, readKnownMembers } from './known-members-file.js';

const dirs: string[] = [];
function dataDir(complete: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-known-'));
  dirs.push(dir);
  if (complete) {
    mkdirSync(join(dir, 'global'));
    writeFileSync(join(dir, 'global', 'pg_control'), '');
  }
  return dir;
}
const knowing = (names: readonly string[]): HaMemory => ({ ...initialMemory(), knownMembers: names });

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the member names kept in the data directory', () => {
  it('are written when they change and read back by the next agent', () => {
    const dir = dataDir(true);
    expect(readKnownMembers(dir)).toEqual([]);
    const keep = knownMembersKeeper(dir, []);
    keep(knowing(['node1', 'node2']));
    expect(readKnownMembers(dir)).toEqual(['node1', 'node2']);
    expect(readdirSync(dir).sort()).toEqual(['global', KNOWN_MEMBERS_FILE]);
    keep(knowing(['node1', 'node2', 'node3']));
    expect(readKnownMembers(dir)).toEqual(['node1', 'node2', 'node3']);
  });

  it('are not written again while they stay the same, nor when the agent started with them', () => {
    const dir = dataDir(true);
    const keep = knownMembersKeeper(dir, ['node1', 'node2']);
    keep(knowing(['node1', 'node2']));
    expect(readdirSync(dir)).toEqual(['global']);
    keep(knowing(['node2', 'node1']));
    writeFileSync(join(dir, KNOWN_MEMBERS_FILE), '["changed behind its back"]');
    keep(knowing(['node2', 'node1']));
    expect(readKnownMembers(dir)).toEqual(['changed behind its back']);
  });

  it('are never written into a directory without pg_control: initdb and pg_basebackup want it empty', () => {
    const dir = dataDir(false);
    knownMembersKeeper(dir, [])(knowing(['node1']));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('read as none from a file that is not a list of names', () => {
    const dir = dataDir(true);
    writeFileSync(join(dir, KNOWN_MEMBERS_FILE), '{"node1": true}');
    expect(readKnownMembers(dir)).toEqual([]);
    writeFileSync(join(dir, KNOWN_MEMBERS_FILE), '["node1", 7, "node2"]');
    expect(readKnownMembers(dir)).toEqual(['node1', 'node2']);
    writeFileSync(join(dir, KNOWN_MEMBERS_FILE), 'not json');
    expect(readKnownMembers(dir)).toEqual([]);
    expect(readFileSync(join(dir, KNOWN_MEMBERS_FILE), 'utf8')).toBe('not json');
  });
});
