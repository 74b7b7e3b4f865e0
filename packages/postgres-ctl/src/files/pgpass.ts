/**
 * The password file for libpq tools (pg_basebackup, pg_rewind, the WAL
 * receiver through `passfile=`). Mode 0600 and owned by the PostgreSQL user,
 * because libpq ignores a group- or world-readable file.
 */
import { chownSync, renameSync, writeFileSync } from 'node:fs';
import type { RunAsUser } from '../process/run-as.js';

export interface PgpassEntry {
  readonly host: string;
  readonly port: number | string;
  readonly username: string;
  readonly password?: string;
}

function escapeField(value: string): string {
  return value.replace(/([\\:])/g, '\\$1');
}

export function writePgpass(path: string, entries: readonly PgpassEntry[], user: RunAsUser): void {
  const lines = entries
    .filter((entry) => entry.password !== undefined)
    .map((entry) =>
      [entry.host || '*', String(entry.port) || '*', '*', entry.username || '*', entry.password ?? ''].map(escapeField).join(':'),
    );
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, lines.length > 0 ? `${lines.join('\n')}\n` : '', { mode: 0o600 });
  if (user.switchIdentity) chownSync(temporary, user.uid, user.gid);
  renameSync(temporary, path);
}
