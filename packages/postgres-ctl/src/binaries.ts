/**
 * Where the PostgreSQL binaries are: `<bin_dir>/<bin_name.X or X>`, or PATH
 * when bin_dir is empty. Checked once at creation so that a wrong bin_dir is
 * one clear error, not a spawn ENOENT in the middle of a failover.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PgwardenError } from '@pgwarden/core';

export const binaryNames = ['pg_ctl', 'initdb', 'pg_controldata', 'pg_basebackup', 'postgres', 'pg_isready', 'pg_rewind'] as const;
export type BinaryName = (typeof binaryNames)[number];
export type Binaries = Readonly<Record<BinaryName, string>>;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | undefined {
  for (const directory of (process.env['PATH'] ?? '').split(delimiter)) {
    if (directory && isExecutable(join(directory, name))) return join(directory, name);
  }
  return undefined;
}

export function resolveBinaries(binDir: string, binName: Readonly<Record<string, string>>): Binaries {
  if (binDir) {
    let isDirectory = false;
    try {
      isDirectory = statSync(binDir).isDirectory();
    } catch {
      isDirectory = false;
    }
    if (!isDirectory) throw new PgwardenError('pg-bin-dir-invalid', `postgresql.bin_dir "${binDir}" is not a directory`);
  }
  const resolved: Partial<Record<BinaryName, string>> = {};
  const missing: string[] = [];
  for (const name of binaryNames) {
    const file = binName[name] ?? name;
    const path = binDir ? join(binDir, file) : findOnPath(file);
    if (path === undefined || !isExecutable(path)) missing.push(file);
    else resolved[name] = path;
  }
  if (missing.length > 0) {
    const where = binDir ? `in postgresql.bin_dir "${binDir}"` : 'on PATH (postgresql.bin_dir is not set)';
    throw new PgwardenError('pg-bin-dir-invalid', `PostgreSQL binaries not found ${where}: ${missing.join(', ')}`);
  }
  return resolved as Binaries;
}
