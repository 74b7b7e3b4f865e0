// `pgwarden --generate-config [--dsn DSN] [FILE]` against a real PostgreSQL 15
// started here (as the postgres user, on a port picked for this run): what it
// takes from the server, and its refusals in one line each.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { getFreePort, makeTempDir, type TempDir } from '@pgwarden/testkit';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const bin = join(repoRoot, 'packages/cli/src/bin/pgwarden.ts');
const binDir = process.env['PG_BIN_DIR'] ?? '/usr/lib/postgresql/15/bin';

let temp: TempDir;
let dataDir: string;
let port: number;
let started = false;

function asPostgres(command: string, args: readonly string[]): void {
  const result = spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
}

function pgwarden(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--conditions=pgwarden-source', '--import', 'tsx', bin, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  temp = makeTempDir('generate-config', { forPostgres: true });
  dataDir = join(temp.path, 'data');
  port = await getFreePort();
  asPostgres(join(binDir, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust']);
  appendFileSync(
    join(dataDir, 'postgresql.conf'),
    [`port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${temp.path}'`, "cluster_name = 'shop'", 'max_connections = 60', 'archive_mode = on', "archive_command = '/bin/true %p'", ''].join('\n'),
  );
  appendFileSync(join(dataDir, 'pg_ident.conf'), 'map1 root postgres\n');
  asPostgres(join(binDir, 'pg_ctl'), ['-D', dataDir, '-l', join(temp.path, 'server.log'), '-w', 'start']);
  started = true;
  asPostgres(join(binDir, 'psql'), ['-h', temp.path, '-p', String(port), '-U', 'postgres', '-c', 'CREATE ROLE plain LOGIN']);
}, 60_000);

afterAll(() => {
  if (started) asPostgres(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', 'stop']);
  temp?.remove();
});

describe('pgwarden --generate-config', () => {
  it('describes the running server: scope, data directory, bin_dir, listen, parameters, pg_hba and pg_ident', () => {
    const run = pgwarden(['--generate-config', '--dsn', `host=${temp.path} port=${port} user=postgres`]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const config = parse(run.stdout, { version: '1.1' }) as Record<string, Record<string, unknown>>;
    expect(config['scope']).toBe('shop');
    expect(config['postgresql']).toMatchObject({ data_dir: dataDir, bin_dir: binDir, listen: `127.0.0.1:${port}` });
    expect(String(config['postgresql']?.['connect_address'])).toMatch(new RegExp(`:${port}$`));
    expect(config['postgresql']?.['parameters']).toMatchObject({ archive_command: '/bin/true %p', hba_file: join(dataDir, 'pg_hba.conf') });
    const dcs = (config['bootstrap'] as { dcs: { postgresql: { parameters: Record<string, unknown> } } }).dcs;
    expect(dcs.postgresql.parameters).toMatchObject({ max_connections: '60', archive_mode: 'on' });
    expect(dcs.postgresql.parameters['archive_command']).toBeUndefined();
    expect(config['postgresql']?.['pg_hba']).toContain('host    all             all             127.0.0.1/32            trust');
    expect(config['postgresql']?.['pg_ident']).toEqual(['map1 root postgres']);
    expect(config['postgresql']?.['authentication']).toEqual({ superuser: { username: 'postgres' }, replication: { username: '#FIXME', password: '#FIXME' } });
  });

  it('takes the connection from the PG* variables without --dsn, and writes FILE with mode 0600, never over an existing one', () => {
    const file = join(temp.path, 'generated.yml');
    const result = spawnSync(process.execPath, ['--conditions=pgwarden-source', '--import', 'tsx', bin, '--generate-config', file], {
      cwd: repoRoot,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: 'postgres' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((parse(readFileSync(file, 'utf8'), { version: '1.1' }) as Record<string, unknown>)['scope']).toBe('shop');
    const again = pgwarden(['--generate-config', '--dsn', `postgresql://postgres@127.0.0.1:${port}/postgres`, file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`pgwarden: ${file} exists; not overwriting it (remove it or name another file)\n`);
  });

  it('refuses a user without superuser privilege, an unreachable server and a bad DSN in one line each', () => {
    const plain = pgwarden(['--generate-config', '--dsn', `host=${temp.path} port=${port} user=plain`]);
    expect(plain).toEqual({ code: 1, stdout: '', stderr: 'pgwarden: The provided user does not have superuser privilege\n' });
    const closed = pgwarden(['--generate-config', '--dsn', `host=127.0.0.1 port=${port + 1} user=postgres connect_timeout=2`]);
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(/^pgwarden: Failed to establish PostgreSQL connection: .+\n$/);
    const bad = pgwarden(['--generate-config', '--dsn', '=x']);
    expect(bad).toEqual({ code: 1, stdout: '', stderr: 'pgwarden: Failed to parse DSN string\n' });
    const stray = pgwarden(['--dsn', 'host=x']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toBe('pgwarden: --dsn goes with --generate-config\n');
    expect(existsSync(join(temp.path, 'x'))).toBe(false);
  });
});
