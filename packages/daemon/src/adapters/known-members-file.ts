/**
 * The member names this data directory's agents have seen (core's
 * `HaMemory.knownMembers`), kept in `<parent>/.<basename>.pgwarden.members`
 * beside the data directory, as the agent's lock file is, so that the next
 * agent starts with them: a member that promotes unsure of who held the key
 * ranks itself among these names, and one restarted alone knows its peers by
 * them (core's README, timelines). Beside the directory, not in it: initdb
 * and pg_basebackup want it empty, and a re-clone that empties it does not
 * take the names with it. Written asynchronously, one write at a time, so a
 * slow disk never holds up a cycle (and with it a primary's fence).
 */
import { rename, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { HaMemory } from '@pgwarden/core';
import type { AgentLogger } from '../logger.js';

export function knownMembersPath(dataDir: string): string {
  return join(dirname(dataDir), `.${basename(dataDir)}.pgwarden.members`);
}

/** The names an earlier agent kept; none when the file is absent or unreadable (a cluster it never joined). */
export function readKnownMembers(dataDir: string): string[] {
  try {
    const parsed = JSON.parse(readFileSync(knownMembersPath(dataDir), 'utf8')) as unknown;
    return Array.isArray(parsed) ? parsed.filter((name): name is string => typeof name === 'string') : [];
  } catch {
    return [];
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((name, index) => name === b[index]));
}

/**
 * The runtime's `keepMemory`: starts a write of `knownMembers` when it differs
 * from what the file holds and no write is in flight (through a temporary
 * file and a rename, mode 0600, owned by the agent's user like the lock
 * file). A failed write is tried again at the next cycle and logged once
 * until it succeeds or fails differently. `settled()` resolves when no write is in flight (tests).
 */
export function knownMembersKeeper(dataDir: string, startedWith: readonly string[], logger: AgentLogger): ((memory: HaMemory) => void) & { settled(): Promise<void> } {
  const target = knownMembersPath(dataDir);
  let written: readonly string[] = startedWith;
  let inFlight: Promise<void> | undefined;
  // The last failure logged: the same one again (a read-only directory) is not logged every cycle.
  let failure: string | undefined;
  const write = async (known: readonly string[]): Promise<void> => {
    const temporary = `${target}.tmp`;
    await writeFile(temporary, `${JSON.stringify(known)}\n`, { mode: 0o600 });
    await rename(temporary, target);
    written = known;
    failure = undefined;
  };
  const keep = (memory: HaMemory): void => {
    const known = memory.knownMembers;
    if (known === undefined || inFlight !== undefined || sameNames(known, written)) return;
    inFlight = write(known)
      .catch((error: unknown) => {
        if (String(error) === failure) return;
        failure = String(error);
        logger.warn({ file: target, error: failure }, 'could not keep the known member names for the next agent');
      })
      .finally(() => {
        inFlight = undefined;
      });
  };
  return Object.assign(keep, { settled: async () => inFlight });
}
