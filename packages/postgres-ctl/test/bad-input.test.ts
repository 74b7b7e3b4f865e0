/**
 * Bad input and faults end in a PgwardenError whose code says what kind of
 * failure it is and whose message names what was wrong, never a stack
 * trace: wrong bin_dir, non-empty or foreign-owned data directory, port in
 * use, a leader unreachable during the base backup, a server that will not
 * start. (pg_rewind failure is in cluster.test.ts, where a new leader exists.)
 */
import { mkdirSync, writeFileSync, existsSync, readdirSync, chownSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgwardenError } from '@pgwarden/core';
import { getFreePort, postgresUser } from '@pgwarden/testkit';
import { PostgresCtl } from '../src/index.js';
import { authentication, binDir, destroyMember, makeMember, type Member } from './helpers.js';

async function failure(promise: Promise<unknown> | (() => unknown)): Promise<PgwardenError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    if (error instanceof PgwardenError) return error;
    throw new Error(`expected a PgwardenError, got ${String(error)}`);
  }
  throw new Error('expected a failure, but it succeeded');
}

const baseOptions = { name: 'x', scope: 'bad', listen: '127.0.0.1:5999', authentication };

describe('configuration errors', () => {
  it('a bin_dir that does not exist is rejected as pg-bin-dir-invalid naming the directory', async () => {
    const error = await failure(() => PostgresCtl.create({ ...baseOptions, data_dir: '/tmp/none', bin_dir: '/opt/no-such-postgres/bin' }));
    expect(error.code).toBe('pg-bin-dir-invalid');
    expect(error.message).toContain('"/opt/no-such-postgres/bin" is not a directory');
  });

  it('a bin_dir without the PostgreSQL binaries is rejected listing the missing ones', async () => {
    const error = await failure(() => PostgresCtl.create({ ...baseOptions, data_dir: '/tmp/none', bin_dir: '/usr/share' }));
    expect(error.code).toBe('pg-bin-dir-invalid');
    expect(error.message).toMatch(/not found in postgresql.bin_dir "\/usr\/share": pg_ctl, initdb, .*pg_rewind/);
  });

  it('options of the wrong shape are rejected as pg-options-invalid naming the key', async () => {
    const error = await failure(() => PostgresCtl.create({ ...baseOptions, data_dir: '/tmp/none', bin_dir: binDir, pg_ctl_timeout: -1 }));
    expect(error.code).toBe('pg-options-invalid');
    expect(error.message).toContain('postgresql.pg_ctl_timeout');
  });

  it('an initdb option pgwarden sets itself is refused before initdb runs', async () => {
    const member = await makeMember('forbidden', { bootstrap: { initdb: [{ pgdata: '/elsewhere' }] } });
    try {
      const error = await failure(member.ctl.bootstrap());
      expect(error.code).toBe('pg-option-forbidden');
      expect(error.message).toContain('"pgdata"');
    } finally {
      await destroyMember(member);
    }
  });
});

describe('a failing initdb', () => {
  let member: Member | undefined;
  afterAll(async () => destroyMember(member));

  it('fails as pg-initdb-failed with initdb\'s words and leaves no data directory, only <data_dir>.failed', async () => {
    member = await makeMember('badinitdb', { bootstrap: { initdb: [{ encoding: 'NO_SUCH_ENCODING' }] } });
    const error = await failure(member.ctl.bootstrap());
    expect(error.code).toBe('pg-initdb-failed');
    expect(error.message).toMatch(/initdb exited with code 1:[\s\S]*"NO_SUCH_ENCODING" is not a valid server encoding name/);
    expect(existsSync(member.ctl.dataDir)).toBe(false);
    expect(existsSync(`${member.ctl.dataDir}.failed`)).toBe(true);
    expect(member.ctl.state).toBe('initdb failed');
  });
});

describe('data directory faults', () => {
  const members: Member[] = [];
  afterAll(async () => {
    await Promise.all(members.map((member) => destroyMember(member)));
  });

  it('bootstrap into a data directory that is not empty fails as pg-data-dir-not-empty and leaves the files alone', async () => {
    const member = await makeMember('notempty');
    members.push(member);
    mkdirSync(member.ctl.dataDir, { mode: 0o700 });
    chownSync(member.ctl.dataDir, postgresUser().uid, postgresUser().gid);
    writeFileSync(join(member.ctl.dataDir, 'precious.txt'), 'do not delete');
    const error = await failure(member.ctl.bootstrap());
    expect(error.code).toBe('pg-data-dir-not-empty');
    expect(error.message).toContain(`${member.ctl.dataDir} is not empty`);
    expect(readdirSync(member.ctl.dataDir)).toEqual(['precious.txt']);
  });

  it.skipIf(process.getuid?.() !== 0)('a data directory owned by another user is refused as pg-data-dir-owner naming both users', async () => {
    const member = await makeMember('foreign');
    members.push(member);
    mkdirSync(member.ctl.dataDir, { mode: 0o700 });
    chownSync(member.ctl.dataDir, 0, 0);
    const error = await failure(member.ctl.bootstrap());
    expect(error.code).toBe('pg-data-dir-owner');
    expect(error.message).toMatch(/owned by uid 0, but PostgreSQL runs as postgres/);
  });
});

describe('a server that cannot start', () => {
  let member: Member;
  let blocker: Server | undefined;
  beforeAll(async () => {
    member = await makeMember('nostart');
    await member.ctl.bootstrap();
    await member.ctl.stop({ mode: 'fast' });
  });
  afterAll(async () => {
    blocker?.close();
    await destroyMember(member);
  });

  it('a port already in use fails the start as pg-port-in-use with the server log lines', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker?.listen(member.port, '127.0.0.1', resolve));
    const error = await failure(member.ctl.start());
    expect(error.code).toBe('pg-port-in-use');
    expect(error.message).toContain(`port ${member.port} is already in use`);
    expect(error.message).toMatch(/could not bind IPv4 address "127\.0\.0\.1": Address already in use/);
    expect(member.ctl.state).toBe('start failed');
    await new Promise((resolve) => blocker?.close(resolve));
    blocker = undefined;
    expect(await member.ctl.start()).toBe('started');
    await member.ctl.stop({ mode: 'fast' });
  });

  it('a smart stop held up by a client escalates to immediate after the stop timeout instead of hanging', async () => {
    expect(await member.ctl.start()).toBe('started');
    const client = new pg.Client({ host: '127.0.0.1', port: member.port, user: 'postgres', password: authentication.superuser.password, database: 'postgres' });
    client.on('error', () => undefined);
    await client.connect();
    const started = Date.now();
    expect(await member.ctl.stop({ mode: 'smart', timeoutSeconds: 1 })).toBe('escalated-immediate');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect((await member.ctl.observe()).running).toBe(false);
    await client.end().catch(() => undefined);
  });

  it('an invalid parameter fails the start as pg-start-failed with the last lines of the server log', async () => {
    const broken = PostgresCtl.create({ ...member.ctl.options, parameters: { ...member.ctl.options.parameters, shared_buffers: 'plenty' } });
    const error = await failure(broken.start());
    await broken.close();
    expect(error.code).toBe('pg-start-failed');
    expect(error.message).toContain('PostgreSQL did not start');
    expect(error.message).toContain(member.ctl.logFile);
    expect(error.message).toMatch(/invalid value for parameter "shared_buffers": "plenty"/);
  });

  it('a data directory owned by another user is refused at start too', async () => {
    if (process.getuid?.() !== 0) return;
    chownSync(member.ctl.dataDir, 0, 0);
    try {
      const error = await failure(member.ctl.start());
      expect(error.code).toBe('pg-data-dir-owner');
    } finally {
      chownSync(member.ctl.dataDir, postgresUser().uid, postgresUser().gid);
    }
  });
});

describe('a leader unreachable during the base backup', () => {
  let member: Member;
  afterAll(async () => destroyMember(member));

  it('fails as pg-basebackup-failed with pg_basebackup\'s words, after the configured attempts, and leaves no data directory', async () => {
    member = await makeMember('orphan', { basebackup_max_attempts: 2, basebackup_retry_delay_seconds: 0.1 });
    const deadPort = await getFreePort();
    const error = await failure(member.ctl.createReplica({ name: 'gone', connUrl: `postgres://127.0.0.1:${deadPort}/postgres` }));
    expect(error.code).toBe('pg-basebackup-failed');
    expect(error.message).toMatch(/base backup from 127\.0\.0\.1 failed after 2 attempts: pg_basebackup exited with code 1:[\s\S]*Connection refused/);
    expect(existsSync(member.ctl.dataDir)).toBe(false);
    expect((await member.ctl.observe()).dataDirectory).toBe('empty');
  });

  it('without a leader and without a method that works without one, it says so', async () => {
    const error = await failure(member.ctl.createReplica(undefined));
    expect(error.code).toBe('pg-create-replica-failed');
    expect(error.message).toContain('leader unknown');
  });
});
