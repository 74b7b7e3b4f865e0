/**
 * The OS identity PostgreSQL's processes run as. PostgreSQL refuses to run as
 * root, so when we are root every child gets the uid/gid of `run_as`, and
 * every file we write for it is chowned to that user.
 */
import { execFileSync } from 'node:child_process';
import { PgwardenError } from '@pgwarden/core';

export interface RunAsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  /** True when we are root and must switch identity for children. */
  readonly switchIdentity: boolean;
}

export function resolveRunAsUser(name: string): RunAsUser {
  const ourUid = process.getuid?.() ?? 0;
  if (ourUid !== 0) {
    return { name: 'self', uid: ourUid, gid: process.getgid?.() ?? 0, home: process.env['HOME'] ?? '/tmp', switchIdentity: false };
  }
  try {
    const line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
    const fields = line.split(':');
    const uid = Number(fields[2]);
    const gid = Number(fields[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`unparsable passwd entry: ${line}`);
    if (uid === 0) throw new PgwardenError('pg-run-as-root', `run_as user "${name}" is root; PostgreSQL refuses to run as root`);
    return { name, uid, gid, home: fields[5] ?? '/tmp', switchIdentity: true };
  } catch (error) {
    if (error instanceof PgwardenError) throw error;
    throw new PgwardenError('pg-run-as-unknown', `run_as user "${name}" does not exist on this host`, { cause: error });
  }
}
