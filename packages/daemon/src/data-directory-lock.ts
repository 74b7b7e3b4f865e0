/**
 * One agent per data directory. Two agents on one data directory (another
 * `name`, same `data_dir` — a copied config file) would each start, stop and
 * promote the same PostgreSQL, and each publish it as a different member.
 * The first agent holds `<parent>/.<basename>.pgwarden.lock` (its PID) for its
 * lifetime; a second one refuses to start with one line. A lock left by an
 * agent that died is taken over: its PID is no longer a running process.
 *
 * The lock sits beside the data directory, not in it: before bootstrap the
 * directory must be empty (initdb, pg_basebackup).
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PgwardenError } from '@pgwarden/core';

export interface DataDirectoryLock {
  readonly path: string;
  release(): void;
}

export function dataDirectoryLockPath(dataDirectory: string): string {
  return join(dirname(dataDirectory), `.${basename(dataDirectory)}.pgwarden.lock`);
}

/** The PID runs and is a pgwarden agent (a PID reused by another program is a stale lock). */
function isRunningAgent(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('pgwarden');
  } catch {
    return true;
  }
}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function create(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o600);
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new PgwardenError('data-dir-locked', `cannot create the lock file ${path}: ${(error as Error).message}`);
  }
}

export function lockDataDirectory(dataDirectory: string): DataDirectoryLock {
  const path = dataDirectoryLockPath(dataDirectory);
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    if (create(path)) {
      return {
        path,
        release: () => {
          if (holderOf(path) === process.pid) rmSync(path, { force: true });
        },
      };
    }
    const holder = holderOf(path);
    if (holder !== undefined && holder !== process.pid && isRunningAgent(holder)) {
      throw new PgwardenError('data-dir-locked', `Can't start: the data directory ${dataDirectory} is already managed by the pgwarden agent with PID ${holder} (lock file ${path})`);
    }
    rmSync(path, { force: true });
  }
  throw new PgwardenError('data-dir-locked', `Can't start: could not take the lock file ${path} for ${dataDirectory}`);
}
