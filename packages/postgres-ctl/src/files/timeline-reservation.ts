/**
 * Make the next promotion skip timelines that other members already used.
 *
 * PostgreSQL names a promotion's new timeline one above the newest timeline
 * history file it finds in pg_wal (or the archive). A standby that never
 * streamed from a member which promoted — it was down or cut off then, and
 * that member died soon after — finds none and takes the same number: two
 * histories under one timeline. pg_rewind cannot tell them apart ("source and
 * target cluster are on the same timeline; no rewind required") and the
 * former primary, started as a standby, stops on "record with incorrect
 * prev-link" while answering reads from its own history. Measured with
 * PostgreSQL 15: with a placeholder for the used timeline, the promotion took
 * the next one and pg_rewind then found the fork and rewound.
 *
 * A placeholder holds one comment line. PostgreSQL looks only for its
 * existence when it picks the new timeline; a standby that scans for a newer
 * timeline reads it as one that is not a child of its own and stays; nothing
 * else reads the history of a timeline that is not an ancestor of its own.
 * Files that exist are left alone.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunAsUser } from '../process/run-as.js';
import { writeOwnedFile } from './config-files.js';

export const historyFileName = (timeline: number): string => `${timeline.toString(16).toUpperCase().padStart(8, '0')}.history`;

/** Placeholders for the timelines above `current` through `through` that have no history file; returns those written. */
export function reserveTimelines(dataDir: string, current: number, through: number, user: RunAsUser): number[] {
  const written: number[] = [];
  for (let timeline = current + 1; timeline <= through; timeline++) {
    const path = join(dataDir, 'pg_wal', historyFileName(timeline));
    if (existsSync(path)) continue;
    writeOwnedFile(path, `# timeline ${timeline} is or may be in use by another member of the cluster: pgwarden keeps promotions here from reusing it\n`, user);
    written.push(timeline);
  }
  return written;
}
