/**
 * The checks `patroni --validate-config` makes beyond the file itself: the
 * PostgreSQL binaries are where the configuration says, and a non-empty
 * data_dir is a PostgreSQL data directory. Not run by the agent, which
 * reports these when it acts; listen ports are not checked because validating
 * the configuration of a running member would then always fail.
 */
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import type { ConfigIssue, ConfigIssueSource, Environment, PatroniConfig } from '@pgwarden/core';

type Locate = (path: readonly (string | number)[]) => ConfigIssueSource | undefined;

const BINARIES = ['pg_ctl', 'initdb', 'pg_controldata', 'pg_basebackup', 'postgres', 'pg_isready'] as const;

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function findOnPath(name: string, env: Environment): Promise<boolean> {
  for (const directory of (env['PATH'] ?? '').split(delimiter).filter(Boolean)) {
    if (await isExecutable(join(directory, name))) return true;
  }
  return false;
}

function issueAt(path: string[], message: string, locate: Locate): ConfigIssue {
  const source = locate(path);
  return { severity: 'error', path: path.join('.'), message, ...(source ? { source } : {}) };
}

async function checkBinaries(config: PatroniConfig, locate: Locate, env: Environment): Promise<ConfigIssue[]> {
  const postgresql = config.postgresql;
  const usesRewind = postgresql.use_pg_rewind === true || config.bootstrap?.dcs.postgresql?.use_pg_rewind === true;
  const names = [...BINARIES, ...(usesRewind ? (['pg_rewind'] as const) : [])];
  const binDir = postgresql.bin_dir ?? '';
  const missing: string[] = [];
  for (const binary of names) {
    const name = (postgresql.bin_name as Record<string, string | undefined> | undefined)?.[binary] ?? binary;
    const found = binDir === '' ? await findOnPath(name, env) : await isExecutable(join(binDir, name));
    if (!found) missing.push(name);
  }
  if (missing.length === 0) return [];
  if (binDir === '') {
    return [issueAt(['postgresql'], `not found on PATH: ${missing.join(', ')}; set postgresql.bin_dir (e.g. /usr/lib/postgresql/15/bin)`, locate)];
  }
  return [issueAt(['postgresql', 'bin_dir'], `expected a directory holding the PostgreSQL binaries, found ${JSON.stringify(binDir)} without ${missing.join(', ')}`, locate)];
}

async function checkDataDirectory(config: PatroniConfig, locate: Locate): Promise<ConfigIssue[]> {
  const dataDir = resolve(config.postgresql.data_dir);
  let entries: string[];
  try {
    if (!(await stat(dataDir)).isDirectory()) {
      return [issueAt(['postgresql', 'data_dir'], `expected a directory, found ${JSON.stringify(config.postgresql.data_dir)} that is a file`, locate)];
    }
    entries = await readdir(dataDir);
  } catch {
    return []; // absent: the agent creates it (bootstrap or clone)
  }
  if (entries.length === 0) return [];
  const looksLikeData = entries.includes('PG_VERSION') && (await isFile(join(dataDir, 'global', 'pg_control')));
  if (looksLikeData) return [];
  return [issueAt(['postgresql', 'data_dir'], `is not empty but is not a PostgreSQL data directory (no PG_VERSION and global/pg_control): ${dataDir}`, locate)];
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Problems of the installation the configuration points at; empty when all fits. */
export async function checkInstallation(config: PatroniConfig, locate: Locate, env: Environment): Promise<ConfigIssue[]> {
  return [...(await checkBinaries(config, locate, env)), ...(await checkDataDirectory(config, locate))];
}
