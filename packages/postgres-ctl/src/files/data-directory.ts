/**
 * The data directory's state and ownership. The invariant: we never start,
 * bootstrap or clone into a directory the PostgreSQL user does not own, and
 * a failed clone or bootstrap never leaves a half-made directory behind.
 */
import { chownSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, chmodSync } from 'node:fs';
import { PgwardenError, type DataDirectoryState } from '@pgwarden/core';
import type { RunAsUser } from '../process/run-as.js';

export function dataDirectoryState(dataDir: string): DataDirectoryState {
  let entries: string[];
  try {
    entries = readdirSync(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'empty';
    return 'inaccessible';
  }
  if (entries.length === 0) return 'empty';
  if (!entries.includes('PG_VERSION') || !existsSync(`${dataDir}/global/pg_control`)) return 'invalid';
  return 'valid';
}

export function isEmptyDirectory(path: string): boolean {
  try {
    return readdirSync(path).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

/** Refuse a directory owned by another user: PostgreSQL would refuse it later, less clearly. */
export function assertOwnedBy(dataDir: string, user: RunAsUser): void {
  let owner: number;
  try {
    owner = statSync(dataDir).uid;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new PgwardenError('pg-data-dir-inaccessible', `cannot read data directory ${dataDir}: ${(error as Error).message}`, { cause: error });
  }
  if (owner !== user.uid) {
    throw new PgwardenError(
      'pg-data-dir-owner',
      `data directory ${dataDir} is owned by uid ${owner}, but PostgreSQL runs as ${user.name} (uid ${user.uid}); chown it to that user`,
    );
  }
}

/** Create the directory (mode 0700) owned by the PostgreSQL user, if missing. */
export function ensureDirectory(path: string, user: RunAsUser): void {
  if (!existsSync(path)) {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    if (user.switchIdentity) chownSync(path, user.uid, user.gid);
  }
  chmodSync(path, 0o700);
}

/** Remove the data directory's contents; with `rename`, keep it as `<path>.failed` for forensics. */
export function removeDataDirectory(dataDir: string, options: { rename?: boolean } = {}): void {
  if (!existsSync(dataDir)) return;
  if (options.rename) {
    const target = `${dataDir}.failed`;
    rmSync(target, { recursive: true, force: true });
    renameSync(dataDir, target);
    return;
  }
  rmSync(dataDir, { recursive: true, force: true });
}
