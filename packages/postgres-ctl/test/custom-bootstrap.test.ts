/**
 * A custom bootstrap method (Patroni's `bootstrap.method: <name>`): the
 * command gets --scope, --datadir and its own keys, then the managed roles
 * are created and the post_bootstrap script runs with the superuser DSN.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresUser } from '@pgwarden/testkit';
import { PostgresCtl } from '../src/index.js';
import { authentication, binDir, destroyMember, makeMember, type Member } from './helpers.js';

function script(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\nset -e\n${body}\n`);
  chmodSync(path, 0o755);
  chownSync(path, postgresUser().uid, postgresUser().gid);
}

describe('custom bootstrap method and post_bootstrap', () => {
  let member: Member | undefined;
  afterAll(async () => destroyMember(member));

  it('runs the method with its arguments, creates the roles, then runs post_bootstrap with the superuser DSN', async () => {
    member = await makeMember('custom');
    const dir = member.dir.path;
    // Stands in for a restore from backup: makes a cluster in --datadir, remembers its arguments.
    script(
      join(dir, 'restore.sh'),
      `for arg; do case "$arg" in --datadir=*) target="\${arg#--datadir=}";; esac; done
echo "$@" > ${dir}/restore.args
${binDir}/initdb -D "$target" -U postgres -A trust >/dev/null`,
    );
    script(join(dir, 'post.sh'), `echo "$1" > ${dir}/post.dsn\n${binDir}/psql "$1" -v ON_ERROR_STOP=1 -qc 'CREATE TABLE made_by_post_bootstrap ()'`);
    const custom = PostgresCtl.create({
      ...member.ctl.options,
      bootstrap: {
        method: 'from_backup',
        methods: { from_backup: { command: `${dir}/restore.sh --verbose`, backup: 'nightly' } },
        post_bootstrap: `${dir}/post.sh`,
      },
    });
    member = { ...member, ctl: custom };
    expect(await custom.bootstrap()).toEqual({ method: 'from_backup' });
    expect(readFileSync(join(dir, 'restore.args'), 'utf8').trim()).toBe(`--verbose --scope=pgctl-test --datadir=${custom.dataDir} --backup=nightly`);
    expect(readFileSync(join(dir, 'post.dsn'), 'utf8').trim()).toBe(`dbname=postgres user=postgres host=127.0.0.1 port=${member.port}`);
    const client = new pg.Client({ host: '127.0.0.1', port: member.port, user: 'replicator', password: authentication.replication.password, database: 'postgres' });
    await client.connect();
    try {
      const rows = await client.query("SELECT to_regclass('made_by_post_bootstrap') IS NOT NULL AS made, (SELECT rolreplication FROM pg_roles WHERE rolname = current_user) AS replication");
      expect(rows.rows).toEqual([{ made: true, replication: true }]);
    } finally {
      await client.end();
    }
    expect(await custom.observe()).toMatchObject({ running: true, inRecovery: false, state: 'running' });
  });
});

describe('a separate config_dir', () => {
  let member: Member | undefined;
  afterAll(async () => destroyMember(member));

  it('keeps postgresql.conf, its base and pg_hba.conf there, carrying over initdb\'s files and the bootstrap pg_hba', async () => {
    const probe = await makeMember('confdir');
    const configDir = join(probe.dir.path, 'conf');
    mkdirSync(configDir, { mode: 0o700 });
    chownSync(configDir, postgresUser().uid, postgresUser().gid);
    member = { ...probe, ctl: PostgresCtl.create({ ...probe.ctl.options, config_dir: configDir }) };
    await probe.ctl.close();
    await member.ctl.bootstrap();
    for (const name of ['postgresql.conf', 'postgresql.base.conf', 'pg_hba.conf', 'pg_ident.conf']) expect(existsSync(join(configDir, name))).toBe(true);
    expect(readFileSync(join(configDir, 'postgresql.base.conf'), 'utf8')).toContain('max_wal_size');
    const rows = await member.ctl.query("SELECT current_setting('config_file') AS config, current_setting('hba_file') AS hba");
    expect(rows).toEqual([{ config: join(configDir, 'postgresql.conf'), hba: join(configDir, 'pg_hba.conf') }]);
    // The bootstrap pg_hba lines made it into the config_dir copy: the replication user logs in with its password.
    const client = new pg.Client({ host: '127.0.0.1', port: member.port, user: 'replicator', password: authentication.replication.password, database: 'postgres' });
    await client.connect();
    await client.end();
  });
});
