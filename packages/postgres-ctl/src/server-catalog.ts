/**
 * What the installed server accepts: its major version (the data
 * directory's PG_VERSION, as Patroni reads it) and the names of its
 * parameters (`postgres --describe-config`, run once as the PostgreSQL user
 * because the postgres binary refuses root). Used to write only settings
 * the server will start with.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import { majorVersionNumber } from './files/version-parameters.js';

/** 0 when the data directory has no readable PG_VERSION (not initialised yet). */
export function readMajorVersion(dataDir: string): number {
  try {
    return majorVersionNumber(readFileSync(join(dataDir, 'PG_VERSION'), 'utf8'));
  } catch {
    return 0;
  }
}

/** The server's parameter names, lower-cased; undefined when the binary cannot tell (then nothing is dropped). */
export function knownParameters(context: Context): ReadonlySet<string> | undefined {
  if (context.parameterCatalog !== undefined) return context.parameterCatalog ?? undefined;
  try {
    const output = execFileSync(context.binaries.postgres, ['--describe-config'], {
      encoding: 'utf8',
      timeout: 30_000,
      maxBuffer: 16 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(context.user.switchIdentity ? { uid: context.user.uid, gid: context.user.gid } : {}),
    });
    const names = new Set(output.split('\n').map((line) => (line.split('\t')[0] ?? '').trim().toLowerCase()).filter((name) => name !== ''));
    context.parameterCatalog = names.size > 0 ? names : null;
  } catch (error) {
    context.logger.warn({ error: String(error) }, 'postgres --describe-config failed; parameters are written without checking that the server knows them');
    context.parameterCatalog = null;
  }
  return context.parameterCatalog ?? undefined;
}
