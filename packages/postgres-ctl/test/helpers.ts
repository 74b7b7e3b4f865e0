/**
 * Shared by the integration tests: options for a member on loopback, with
 * the data directory inside a temp directory owned by the postgres user.
 */
import { join } from 'node:path';
import pg from 'pg';
import type { FollowTarget } from '@pgwarden/core';
import { getFreePort, makeTempDir, type TempDir } from '@pgwarden/testkit';
import { PostgresCtl, type Logger, type PostgresCtlOptionsInput } from '../src/index.js';

export const binDir = process.env['PG_BIN_DIR'] ?? '/usr/lib/postgresql/15/bin';

export const authentication = {
  superuser: { username: 'postgres', password: 'super secret' },
  replication: { username: 'replicator', password: 'rep-pass' },
  rewind: { username: 'rewind_user', password: 'rewind-pass' },
};

/** Lines the test log shows (vitest prints stdout of failing tests; PGCTL_TEST_LOG=1 shows all). */
export const testLogger: Logger = {
  debug: () => undefined,
  info: (fields, message) => log('info', fields, message),
  warn: (fields, message) => log('warn', fields, message),
  error: (fields, message) => log('error', fields, message),
};

function log(level: string, fields: Record<string, unknown>, message: string): void {
  if (process.env['PGCTL_TEST_LOG']) process.stdout.write(`${JSON.stringify({ level, message, ...fields })}\n`);
}

export interface Member {
  readonly name: string;
  readonly port: number;
  readonly dir: TempDir;
  readonly ctl: PostgresCtl;
  readonly connUrl: string;
}

export async function makeMember(name: string, overrides: Partial<PostgresCtlOptionsInput> = {}): Promise<Member> {
  const dir = makeTempDir(`pgctl-${name}`, { forPostgres: true });
  const port = await getFreePort();
  const ctl = PostgresCtl.create(
    {
      name,
      scope: 'pgctl-test',
      data_dir: join(dir.path, 'data'),
      bin_dir: binDir,
      listen: `127.0.0.1:${port}`,
      authentication,
      parameters: { unix_socket_directories: dir.path, shared_buffers: '16MB', fsync: 'off', max_wal_size: '64MB' },
      bootstrap: {
        // scram for TCP so passwords are really checked (initdb's default would be trust).
        initdb: ['data-checksums', { encoding: 'UTF8' }, { locale: 'C' }, { 'auth-host': 'scram-sha-256' }, { 'auth-local': 'trust' }],
        pg_hba: [
          'local all all trust',
          'host replication replicator 127.0.0.1/32 scram-sha-256',
          'host all all 127.0.0.1/32 scram-sha-256',
        ],
      },
      pg_ctl_timeout: 30,
      basebackup_retry_delay_seconds: 0.2,
      ...overrides,
    },
    { logger: testLogger },
  );
  return { name, port, dir, ctl, connUrl: `postgres://127.0.0.1:${port}/postgres` };
}

/** Stop PostgreSQL (immediate) and remove the member's directory; for afterAll. */
export async function destroyMember(member: Member | undefined): Promise<void> {
  if (!member) return;
  await member.ctl.stop({ mode: 'immediate', checkpoint: false }).catch(() => undefined);
  await member.ctl.close();
  member.dir.remove();
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/** One statement on a member, as `user` (the superuser by default), on a connection of its own. */
export async function sql<T extends Record<string, unknown>>(member: Member, text: string, user = authentication.superuser): Promise<T[]> {
  const client = new pg.Client({ host: '127.0.0.1', port: member.port, user: user.username, password: user.password, database: 'postgres' });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

export const target = (member: Member): FollowTarget => ({ name: member.name, connUrl: member.connUrl });
