/**
 * The member names this data directory's agents have seen (core's
 * `HaMemory.knownMembers`), kept in `<data_dir>/pgwarden.members.json` so
 * that the next agent starts with them: a member that promotes unsure of who
 * held the key ranks itself among these names, and one restarted alone knows
 * its peers by them (core's README, timelines). pg_basebackup copies the file
 * with the rest of the directory, so a new replica knows its primary's names.
 * Written only into a complete data directory (`global/pg_control`, which
 * initdb writes and pg_basebackup receives last): initdb and pg_basebackup
 * want an empty one.
 */
import { chownSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HaMemory } from '@pgwarden/core';

export const KNOWN_MEMBERS_FILE = 'pgwarden.members.json';

/** The names an earlier agent kept; none when the file is absent or unreadable (a cluster it never joined). */
export function readKnownMembers(dataDir: string): string[] {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, KNOWN_MEMBERS_FILE), 'utf8')) as unknown;
    return Array.isArray(parsed) ? parsed.filter((name): name is string => typeof name === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The runtime's `keepMemory`: writes `knownMembers` when it changed since the
 * last write (through a temporary file and a rename, owned like the data
 * directory, mode 0600). Throws what the file system throws; the runtime logs it.
 */
export function knownMembersKeeper(dataDir: string, startedWith: readonly string[]): (memory: HaMemory) => void {
  let written: readonly string[] = startedWith;
  return (memory) => {
    const known = memory.knownMembers;
    if (known === undefined || known === written || (known.length === written.length && known.every((name, index) => name === written[index]))) return;
    if (!existsSync(join(dataDir, 'global', 'pg_control'))) return;
    const target = join(dataDir, KNOWN_MEMBERS_FILE);
    const temporary = `${target}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(known)}\n`, { mode: 0o600 });
    const owner = statSync(dataDir);
    if (process.getuid?.() === 0) chownSync(temporary, owner.uid, owner.gid);
    renameSync(temporary, target);
    written = known;
  };
}
