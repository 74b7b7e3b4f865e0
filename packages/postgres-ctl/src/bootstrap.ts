/**
 * Bootstrap of a new cluster: initdb (or a custom method restoring from a
 * backup), start as primary, then the managed roles and the post-bootstrap
 * script. The invariant: it either ends with a running primary that has its
 * roles, or with no data directory left (the failed one renamed
 * `<data_dir>.failed` for forensics).
 */
import { chownSync, rmSync, writeFileSync } from 'node:fs';
import { PgwardenError } from '@pgwarden/core';
import type { Context } from './context.js';
import { appendBootstrapHba } from './config-writer.js';
import { join } from 'node:path';
import { assertOwnedBy, dataDirectoryState, ensureDirectory, isEmptyDirectory } from './files/data-directory.js';
import { hasRecoverySignal, removePromoteSignal, writeRecoverySignal } from './files/config-files.js';
import { formatConninfo } from './files/conninfo.js';
import { methodUserArguments, optionListArguments, splitCommand } from './option-lists.js';
import { describeFailure, runCommand } from './process/run-command.js';
import { withClient } from './sql/connection.js';
import type { Credentials } from './options.js';

const initdbForbidden = ['pgdata', 'nosync', 'pwfile', 'sync-only', 'version'];

export function assertBootstrapTarget(context: Context): void {
  const { dataDir } = context.paths;
  assertOwnedBy(dataDir, context.user);
  if (!isEmptyDirectory(dataDir)) {
    throw new PgwardenError('pg-data-dir-not-empty', `cannot bootstrap: data directory ${dataDir} is not empty`);
  }
  ensureDirectory(dataDir, context.user);
}

export async function runInitdb(context: Context): Promise<void> {
  const { superuser } = context.options.authentication;
  const args = [...optionListArguments(context.options.bootstrap.initdb, initdbForbidden, 'bootstrap.initdb'), `--username=${superuser.username}`];
  const pwfile = `${context.paths.pgpass}.initdb`;
  if (superuser.password !== undefined) {
    writeFileSync(pwfile, `${superuser.password}\n`, { mode: 0o600 });
    if (context.user.switchIdentity) chownSync(pwfile, context.user.uid, context.user.gid);
    args.push(`--pwfile=${pwfile}`);
  }
  args.push(`--pgdata=${context.paths.dataDir}`);
  try {
    const result = await runCommand(context.binaries.initdb, args, { user: context.user, timeoutMs: 10 * 60_000, env: { LANG: 'C.UTF-8' } });
    if (result.code !== 0) throw new PgwardenError('pg-initdb-failed', describeFailure('initdb', result));
  } finally {
    rmSync(pwfile, { force: true });
  }
  appendBootstrapHba(context);
}

/**
 * Run `bootstrap.<method>.command`; returns the archive-recovery settings to
 * start with (its `recovery_conf`, or the recovery files it left when
 * `keep_existing_recovery_conf`), or undefined to start as a primary.
 */
export async function runCustomBootstrap(context: Context, method: string): Promise<Readonly<Record<string, string | number | boolean>> | undefined> {
  const section = context.options.bootstrap.methods[method];
  if (!section?.command) throw new PgwardenError('pg-bootstrap-method-unknown', `bootstrap.method "${method}" has no section with a command`);
  const [command, ...fixed] = splitCommand(section.command);
  if (!command) throw new PgwardenError('pg-bootstrap-method-unknown', `bootstrap.${method}.command is empty`);
  const params = section.no_params ? [] : [`--scope=${context.options.scope}`, `--datadir=${context.paths.dataDir}`];
  const args = [...fixed, ...params, ...methodUserArguments(section, ['scope', 'datadir'])];
  const result = await runCommand(command, args, {
    user: context.user,
    timeoutMs: 24 * 3600_000,
    env: { PGPASSFILE: context.paths.pgpass },
  });
  if (result.code !== 0) throw new PgwardenError('pg-custom-bootstrap-failed', describeFailure(`bootstrap method ${method}`, result));
  if (dataDirectoryState(context.paths.dataDir) !== 'valid') {
    throw new PgwardenError('pg-custom-bootstrap-failed', `bootstrap method ${method} exited 0 but left no valid data directory in ${context.paths.dataDir}`);
  }
  removePromoteSignal(context.paths.dataDir);
  if (section.recovery_conf) return section.recovery_conf;
  if (section.keep_existing_recovery_conf && hasRecoverySignal(context.paths.dataDir)) return {};
  writeRecoverySignal(context.paths.dataDir, 'none', context.user);
  return undefined;
}

const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;
const identifier = (text: string): string => `"${text.replace(/"/g, '""')}"`;

function roleStatement(credentials: Credentials, attributes: string): string {
  const password = credentials.password !== undefined ? ` PASSWORD ${literal(credentials.password)}` : '';
  const role = identifier(credentials.username);
  return `DO $pgwarden$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${literal(credentials.username)}) THEN
    ALTER ROLE ${role} WITH ${attributes}${password};
  ELSE
    CREATE ROLE ${role} WITH ${attributes}${password};
  END IF;
END $pgwarden$`;
}

const rewindGrants = [
  'pg_catalog.pg_ls_dir(text, boolean, boolean)',
  'pg_catalog.pg_stat_file(text, boolean)',
  'pg_catalog.pg_read_binary_file(text)',
  'pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)',
];

/** Superuser, replication and rewind roles; statement logging off so passwords stay out of the server log. */
export async function createManagedRoles(context: Context): Promise<void> {
  const { superuser, replication, rewind } = context.options.authentication;
  await withClient(context.localSettings({ statementTimeoutMs: 60_000 }), async (client) => {
    await client.query(
      "SET synchronous_commit = 'local'; SET log_statement = 'none'; SET log_min_duration_statement = -1; SET log_min_error_statement = 'panic'",
    );
    await client.query(roleStatement(superuser, 'SUPERUSER LOGIN'));
    await runPostBootstrap(context);
    await client.query(roleStatement(replication, 'REPLICATION LOGIN'));
    if (rewind && rewind.username !== superuser.username) {
      await client.query(roleStatement(rewind, 'LOGIN'));
      for (const fn of rewindGrants) await client.query(`GRANT EXECUTE ON FUNCTION ${fn} TO ${identifier(rewind.username)}`);
    }
    const managed = new Set([superuser.username, replication.username, rewind?.username]);
    for (const [username, user] of Object.entries(context.options.bootstrap.users)) {
      if (managed.has(username)) continue;
      await client.query(roleStatement({ username, ...(user.password ? { password: user.password } : {}) }, userRoleOptions(user.options)));
    }
  });
}

/** Patroni's role options of a `bootstrap.users` entry: upper-cased, LOGIN unless LOGIN or NOLOGIN is given. */
export function userRoleOptions(options: readonly string[]): string {
  const upper = options.map((option) => option.toUpperCase());
  if (!upper.includes('LOGIN') && !upper.includes('NOLOGIN')) upper.push('LOGIN');
  return upper.join(' ');
}

async function runPostBootstrap(context: Context): Promise<void> {
  const script = context.options.bootstrap.post_bootstrap ?? context.options.bootstrap.post_init;
  if (!script) return;
  const [command, ...fixed] = splitCommand(script);
  if (!command) return;
  const dsn = formatConninfo({
    dbname: context.options.database,
    user: context.options.authentication.superuser.username,
    host: context.localSettings().host,
    port: context.port,
  });
  const result = await runCommand(command, [...fixed, dsn], {
    user: context.user,
    timeoutMs: 3600_000,
    env: { PGPASSFILE: context.paths.pgpass, PGOPTIONS: '-c synchronous_commit=local -c statement_timeout=0' },
  });
  if (result.code !== 0) throw new PgwardenError('pg-post-bootstrap-failed', describeFailure('post_bootstrap script', result));
}
