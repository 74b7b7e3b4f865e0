/**
 * Temporary directories for tests, removed afterwards. PostgreSQL refuses to
 * run as root, so when the tests run as root a directory meant for
 * PostgreSQL is handed to the unprivileged `postgres` user.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface UnprivilegedUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** The user PostgreSQL runs as: ourselves when not root, else Debian's `postgres`. */
export function postgresUser(): UnprivilegedUser {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) return { name: String(execFileSync('id', ['-un']).toString().trim()), uid, gid: process.getgid?.() ?? 0 };
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { name: 'postgres', uid: id('-u'), gid: id('-g') };
}

export interface TempDir {
  readonly path: string;
  remove(): void;
}

/** A fresh directory under the system temp dir; `forPostgres` makes the postgres user its owner. */
export function makeTempDir(prefix: string, options: { forPostgres?: boolean } = {}): TempDir {
  const path = mkdtempSync(join(tmpdir(), `pgwarden-${prefix}-`));
  if (options.forPostgres && (process.getuid?.() ?? 0) === 0) {
    const user = postgresUser();
    chownSync(path, user.uid, user.gid);
    chmodSync(path, 0o700);
  }
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
