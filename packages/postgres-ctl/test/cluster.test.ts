/**
 * One primary and two replicas on real PostgreSQL 15, driven through
 * PostgresCtl only: bootstrap, clone, streaming with slots, synchronous
 * commit, pending restart, promotion, follow by reload, demotion with
 * pg_rewind, and postmaster death noticed within a second. The tests run in
 * order and share the cluster (bootstrapping one per test would cost
 * minutes).
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPgwardenError } from '@pgwarden/core';
import { PostgresCtl, PRE_PROMOTE_FAILED, renderSynchronousStandbyNames, type PostgresCtlEvent } from '../src/index.js';
import { makeTempDir, postgresUser, type TempDir } from '@pgwarden/testkit';
import { authentication, destroyMember, makeMember, sql, target, waitFor, type Member } from './helpers.js';

const timings: Record<string, number> = {};


describe('a primary and two replicas on PostgreSQL 15', () => {
  let a: Member;
  let b: Member;
  let c: Member;
  const extra: Member[] = [];
  // pre_promote of b passes only once `allow-promote` exists there; before_stop of a leaves a mark.
  let hooks: TempDir;

  beforeAll(async () => {
    hooks = makeTempDir('pgctl-hooks', { forPostgres: true });
    [a, b, c] = await Promise.all([
      makeMember('a', { before_stop: `/usr/bin/touch ${join(hooks.path, 'a-before-stop')}` }),
      makeMember('b', { pre_promote: `/usr/bin/test -e ${join(hooks.path, 'allow-promote')}` }),
      makeMember('c'),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a, b, c, ...extra].map((member) => destroyMember(member)));
    hooks.remove();
    process.stdout.write(`postgres-ctl timings (ms): ${JSON.stringify(timings)}\n`);
  });

  it('bootstraps a primary with data checksums, the three managed roles and the rewind grants', async () => {
    const started = Date.now();
    await a.ctl.bootstrap();
    timings['bootstrap'] = Date.now() - started;
    const local = await a.ctl.observe();
    expect(local).toMatchObject({ running: true, accepting: true, inRecovery: false, timeline: 1, dataDirectory: 'valid', rewindable: true });
    expect(local.serverVersion).toBeGreaterThanOrEqual(150000);
    expect(local.systemIdentifier).toMatch(/^\d+$/);
    const [checksums] = await sql<{ data_checksums: string }>(a, 'SHOW data_checksums');
    expect(checksums?.data_checksums).toBe('on');
    const roles = await sql<{ rolname: string; rolsuper: boolean; rolreplication: boolean }>(
      a,
      "SELECT rolname, rolsuper, rolreplication FROM pg_roles WHERE rolname IN ('postgres', 'replicator', 'rewind_user') ORDER BY rolname",
    );
    expect(roles).toEqual([
      { rolname: 'postgres', rolsuper: true, rolreplication: true },
      { rolname: 'replicator', rolsuper: false, rolreplication: true },
      { rolname: 'rewind_user', rolsuper: false, rolreplication: false },
    ]);
    const [grant] = await sql<{ allowed: boolean }>(a, "SELECT has_function_privilege('rewind_user', 'pg_read_binary_file(text)', 'EXECUTE') AS allowed");
    expect(grant?.allowed).toBe(true);
    // The rewind user logs in with its password through the bootstrap pg_hba.
    expect(await sql(a, 'SELECT 1 AS one', authentication.rewind)).toEqual([{ one: 1 }]);
    const conf = readFileSync(join(a.ctl.dataDir, 'postgresql.conf'), 'utf8');
    expect(conf).toContain(`include '${join(a.ctl.dataDir, 'postgresql.base.conf')}'`);
    expect(conf).toContain("wal_log_hints = 'on'");
    expect(existsSync(join(a.ctl.dataDir, 'postgresql.base.conf'))).toBe(true);
    // Everything we wrote for PostgreSQL belongs to its user, secrets readable by it alone.
    const owner = postgresUser().uid;
    for (const file of [join(a.ctl.dataDir, 'postgresql.conf'), join(a.ctl.dataDir, 'pg_ident.conf'), a.ctl.logFile, `${a.ctl.dataDir}.pgpass`]) {
      expect({ file, uid: statSync(file).uid }).toEqual({ file, uid: owner });
    }
    expect(statSync(`${a.ctl.dataDir}.pgpass`).mode & 0o077).toBe(0);
  });

  it('creates two replicas by pg_basebackup that stream from the primary through their slots', async () => {
    expect(await a.ctl.syncReplicationSlots({ members: ['a', 'b', 'c'] })).toMatchObject({ created: ['b', 'c'], dropped: [] });
    const progress: PostgresCtlEvent[] = [];
    const unsubscribe = b.ctl.on((event) => {
      if (event.type === 'basebackup-progress') progress.push(event);
    });
    const started = Date.now();
    expect(await b.ctl.createReplica(target(a))).toMatchObject({ method: 'basebackup' });
    timings['basebackup'] = Date.now() - started;
    unsubscribe();
    expect(progress.length).toBeGreaterThan(0);
    const last = progress.at(-1) as Extract<PostgresCtlEvent, { type: 'basebackup-progress' }>;
    expect(last.totalBytes).toBeGreaterThan(1_000_000);
    expect(last.doneBytes).toBe(last.totalBytes);
    // The first method fails; the next one in create_replica_methods is tried.
    const withFallback = PostgresCtl.create({
      ...c.ctl.options,
      create_replica_methods: ['broken_restore', 'basebackup'],
      replica_methods: { broken_restore: { command: '/bin/false' } },
    });
    const cloned = await withFallback.createReplica(target(a));
    expect(cloned.method).toBe('basebackup');
    expect(cloned.attempts.map((attempt) => [attempt.method, attempt.error?.replace(/\n[\s\S]*/, '')])).toEqual([
      ['broken_restore', 'replica method broken_restore exited with code 1'],
      ['basebackup', undefined],
    ]);
    await Promise.all([b.ctl.start({ follow: target(a) }), c.ctl.start({ follow: target(a) })]);

    expect(existsSync(join(b.ctl.dataDir, 'standby.signal'))).toBe(true);
    const conf = readFileSync(join(b.ctl.dataDir, 'postgresql.conf'), 'utf8');
    expect(conf).toMatch(/primary_conninfo = '.*user=replicator passfile=.* host=127\.0\.0\.1 port=\d+ sslmode=prefer application_name=b gssencmode=prefer channel_binding=prefer'/);
    expect(conf).not.toContain('rep-pass');
    expect(conf).toContain("primary_slot_name = 'b'");
    expect(conf).toContain("recovery_target_timeline = 'latest'");

    const streaming = await waitFor('both replicas streaming', async () => {
      const local = await a.ctl.observe();
      return local.replication.filter((row) => row.state === 'streaming').length === 2 && local;
    });
    expect(streaming.replication.map((row) => [row.applicationName, row.syncState])).toEqual([['b', 'async'], ['c', 'async']]);
    const slots = await sql<{ slot_name: string; active: boolean }>(a, 'SELECT slot_name, active FROM pg_replication_slots ORDER BY 1');
    expect(slots).toEqual([{ slot_name: 'b', active: true }, { slot_name: 'c', active: true }]);
    const replica = await b.ctl.observe();
    expect(replica).toMatchObject({ inRecovery: true, replicationState: 'streaming', primarySlotName: 'b', timeline: 1, followingHost: `127.0.0.1:${a.port}` });
    expect(replica.systemIdentifier).toBe(streaming.systemIdentifier);
    // A replica keeps a slot for a member cascading from it (replicatefrom), reserving WAL at once.
    expect(await b.ctl.syncReplicationSlots({ members: ['c'], permanent: [], dropUnknown: false })).toMatchObject({ created: ['c'], dropped: [] });
    const onReplica = await sql<{ slot_name: string; reserved: boolean }>(b, 'SELECT slot_name, restart_lsn IS NOT NULL AS reserved FROM pg_replication_slots');
    expect(onReplica).toEqual([{ slot_name: 'c', reserved: true }]);
    await sql(b, "SELECT pg_drop_replication_slot('c')");
    // The live positions alone (GET /patroni): the same picture, from two queries.
    const positions = await b.ctl.observePositions();
    expect(positions).toMatchObject({ inRecovery: true, replicationState: 'streaming', timeline: 1, replication: [] });
    expect(positions?.receivedLsn).toBeGreaterThanOrEqual(replica.receivedLsn ?? Number.POSITIVE_INFINITY);
    const primaryPositions = await a.ctl.observePositions();
    expect(primaryPositions?.inRecovery).toBe(false);
    expect(primaryPositions?.walPosition).toBeGreaterThanOrEqual(streaming.walPosition ?? Number.POSITIVE_INFINITY);
    expect(primaryPositions?.replication.map((row) => row.applicationName)).toEqual(['b', 'c']);
  });

  it('with synchronous_standby_names set to the replica, a commit waits until that standby confirms', async () => {
    await a.ctl.setSynchronousStandbyNames(renderSynchronousStandbyNames(['b']));
    await sql(a, 'CREATE TABLE marks (label text PRIMARY KEY)');
    await waitFor('b reported sync', async () => (await a.ctl.observe()).replication.some((row) => row.applicationName === 'b' && row.syncState === 'sync'));
    const exits: PostgresCtlEvent[] = [];
    const unsubscribe = b.ctl.on((event) => {
      if (event.type === 'postmaster-exit') exits.push(event);
    });
    expect(await b.ctl.stop({ mode: 'fast' })).toBe('stopped');
    unsubscribe();
    expect(exits).toMatchObject([{ type: 'postmaster-exit', expected: true, code: 0 }]);
    const writer = new pg.Client({ host: '127.0.0.1', port: a.port, user: 'postgres', password: authentication.superuser.password, database: 'postgres' });
    writer.on('error', () => undefined);
    await writer.connect();
    try {
      let committed = false;
      const commit = writer.query("INSERT INTO marks VALUES ('sync-commit')").then(() => {
        committed = true;
      });
      await waitFor('the commit waiting for SyncRep', async () => {
        const rows = await sql<{ n: string }>(a, "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event = 'SyncRep'");
        return Number(rows[0]?.n) === 1;
      });
      expect(committed).toBe(false);
      await b.ctl.start({ follow: target(a) });
      await commit;
      expect(committed).toBe(true);
    } finally {
      await writer.end();
    }
    await waitFor('row on b', async () => (await sql(b, "SELECT 1 FROM marks WHERE label = 'sync-commit'")).length === 1);
    expect(renderSynchronousStandbyNames(['b', 'c'])).toBe('2 (b,c)');
    expect(renderSynchronousStandbyNames(['b', 'c'], { mode: 'quorum', count: 1 })).toBe('ANY 1 (b,c)');
    await a.ctl.setSynchronousStandbyNames('');
  });

  it('reports a parameter that needs a restart as pending instead of applying it, and a restart applies it', async () => {
    const pending = await a.ctl.setParameters({ shared_buffers: '24MB', max_replication_slots: 12, work_mem: '8MB' });
    expect(pending).toEqual({
      shared_buffers: { old_value: '16MB', new_value: '24MB' },
      // Passed on the command line, so pg_settings.pending_restart cannot see it: compared by us.
      max_replication_slots: { old_value: '10', new_value: '12' },
    });
    const [workMem] = await sql<{ work_mem: string }>(a, 'SHOW work_mem');
    expect(workMem?.work_mem).toBe('8MB');
    const [before] = await sql<{ shared_buffers: string }>(a, 'SHOW shared_buffers');
    expect(before?.shared_buffers).toBe('16MB');
    await a.ctl.restart();
    expect((await a.ctl.observe()).pendingRestart).toEqual({});
    const [after] = await sql<{ shared_buffers: string; slots: string }>(a, 'SELECT current_setting($$shared_buffers$$) AS shared_buffers, current_setting($$max_replication_slots$$) AS slots');
    expect(after).toEqual({ shared_buffers: '24MB', slots: '12' });
  });

  it('a replica paused by a shared-memory parameter the primary raised resumes, restarts with the value of pg_control and reports it pending', async () => {
    await a.ctl.setParameters({ max_connections: 120 });
    await a.ctl.restart();
    const paused = await waitFor('b paused', async () => {
      const local = await b.ctl.observe();
      return local.replayPaused === true && local;
    });
    expect(paused.inRecovery).toBe(true);
    await b.ctl.resumeWalReplay().catch(() => undefined);
    // PostgreSQL ends recovery with a FATAL now: a crash as far as the watch is concerned.
    await waitFor('b down', async () => !(await b.ctl.observe()).running);
    expect(await b.ctl.start({ follow: target(a) })).toBe('started');
    const restarted = await b.ctl.observe();
    expect(restarted.pendingRestart['max_connections']).toEqual({ old_value: '120', new_value: '100' });
    expect(restarted.replayPaused).toBe(false);
    // c gets the configured value, as every member should.
    await c.ctl.setParameters({ max_connections: 120 });
    await waitFor('c paused', async () => (await c.ctl.observe()).replayPaused === true);
    await c.ctl.stop({ mode: 'fast' });
    expect(await c.ctl.start({ follow: target(a) })).toBe('started');
    expect((await c.ctl.observe()).pendingRestart).toEqual({});
    await waitFor('both stream again', async () => (await a.ctl.observe()).replication.filter((row) => row.state === 'streaming').length === 2);
  });

  it('a failing pre_promote script leaves the replica in recovery; once it passes, the replica is promoted to timeline 2 and the other follows by a reload', async () => {
    await sql(a, "INSERT INTO marks VALUES ('before-failover')");
    await waitFor('b replayed', async () => (await sql(b, "SELECT 1 FROM marks WHERE label = 'before-failover'")).length === 1);
    await b.ctl.syncReplicationSlots({ members: ['a', 'b', 'c'] });
    const refused = await b.ctl.promote().catch((error: unknown) => error);
    expect(isPgwardenError(refused, PRE_PROMOTE_FAILED)).toBe(true);
    expect((await b.ctl.observe()).inRecovery).toBe(true);
    writeFileSync(join(hooks.path, 'allow-promote'), '');
    const started = Date.now();
    expect(await b.ctl.promote()).toMatchObject({ promoted: true, timeline: 2 });
    timings['promote'] = Date.now() - started;
    expect(await b.ctl.promote()).toEqual({ promoted: true, alreadyPrimary: true, timeline: 2 });
    const promoted = await b.ctl.observe();
    // The same postmaster, now out of recovery: pg_controldata (cached per postmaster) is read again.
    expect(promoted).toMatchObject({ inRecovery: false, timeline: 2, hasRecoveryConfig: false, controlState: 'in production' });
    // The line of this promotion carries the history file's time and our name (patronictl history's last columns).
    expect(promoted.timelineHistory).toEqual([[1, expect.any(Number), 'no recovery target specified', expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?[+-]\d\d:\d\d$/), 'b']]);

    const startTime = (await c.ctl.observe()).postmasterStartTime;
    expect(await c.ctl.follow(target(b))).toBe('reloaded');
    const following = await waitFor('c streams from b on timeline 2', async () => {
      const local = await c.ctl.observe();
      return local.followingHost === `127.0.0.1:${b.port}` && local.timeline === 2 && local.replicationState === 'streaming' && local;
    });
    expect(following.postmasterStartTime).toBe(startTime);
  });

  it('demotes the diverged old primary (running before_stop first), rewinds it onto the new primary and loses nothing committed there', async () => {
    // The old primary kept running after the promotion and took a write the new primary never saw.
    await sql(a, "SET synchronous_commit = local; INSERT INTO marks VALUES ('only-on-old-primary')");
    await sql(b, "INSERT INTO marks VALUES ('committed-on-new-primary')");
    rmSync(join(hooks.path, 'a-before-stop'), { force: true });
    expect(await a.ctl.demote({ mode: 'offline' })).toBe('stopped');
    expect(existsSync(join(hooks.path, 'a-before-stop'))).toBe(true);
    const check = await a.ctl.checkRewind(target(b));
    expect(check).toMatchObject({ needed: true, localTimeline: 1, leaderTimeline: 2 });
    const started = Date.now();
    expect(await a.ctl.rewind(target(b))).toMatchObject({ outcome: 'rewound' });
    timings['rewind'] = Date.now() - started;
    await a.ctl.start({ follow: target(b) });
    await waitFor('a streams from b', async () => {
      const local = await a.ctl.observe();
      return local.replicationState === 'streaming' && local.timeline === 2;
    });
    await waitFor('new-primary row on a', async () => (await sql(a, "SELECT 1 FROM marks WHERE label = 'committed-on-new-primary'")).length === 1);
    const labels = (await sql<{ label: string }>(a, 'SELECT label FROM marks ORDER BY label')).map((row) => row.label);
    expect(labels).toEqual(['before-failover', 'committed-on-new-primary', 'sync-commit']);
    const standbys = (await b.ctl.observe()).replication.map((row) => row.applicationName);
    expect(standbys).toEqual(['a', 'c']);
  });

  it('keeps the slots the new primary needs: permanent ones created, unwanted inactive ones dropped unless ignore_slots matches them, active ones kept', async () => {
    expect(await b.ctl.syncReplicationSlots({ members: ['a', 'b', 'c'], permanent: ['archiver'] })).toEqual({ created: ['archiver'], dropped: [], keptActive: [], advanced: [] });
    await sql(b, "SELECT pg_create_physical_replication_slot('barman'), pg_create_physical_replication_slot('stray')");
    // c left the member list while still streaming through its slot: keep it until it disconnects.
    // A matcher naming a database never matches a physical slot (Patroni's rule), so `stray` goes.
    const ignore = [{ name: 'barman', type: 'physical' as const }, { name: 'stray', database: 'postgres' }];
    const outcome = await b.ctl.syncReplicationSlots({ members: ['a', 'b'], ignore });
    expect({ ...outcome, dropped: [...outcome.dropped].sort() }).toEqual({ created: [], dropped: ['archiver', 'stray'], keptActive: ['c'], advanced: [] });
    const slots = await sql<{ slot_name: string }>(b, 'SELECT slot_name FROM pg_replication_slots ORDER BY 1');
    expect(slots.map((row) => row.slot_name)).toEqual(['a', 'barman', 'c']);
    await sql(b, "SELECT pg_drop_replication_slot('barman')");
  });

  it('fails a pg_rewind against another cluster with pg_rewind\'s own words, and removes the data directory when configured', async () => {
    const other = await makeMember('other');
    extra.push(other);
    await other.ctl.bootstrap();
    // A crashed primary: pg_rewind refuses it until single-user crash recovery has shut it down cleanly.
    await sql(other, 'CREATE TABLE after_checkpoint AS SELECT 1 AS one');
    process.kill(Number(readFileSync(join(other.ctl.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGKILL');
    await waitFor('other down', async () => !(await other.ctl.observe()).running);
    expect((await other.ctl.observe()).controlState).toBe('in production');
    const error = await other.ctl.rewind(target(b)).catch((caught: unknown) => caught);
    expect((await other.ctl.observe()).controlState).toBe('shut down');
    expect(isPgwardenError(error, 'pg-rewind-failed')).toBe(true);
    expect((error as Error).message).toMatch(/pg_rewind exited with code 1:[\s\S]*different systems/);
    expect((await other.ctl.observe()).dataDirectory).toBe('valid');

    const wiping = PostgresCtl.create({ ...other.ctl.options, remove_data_directory_on_rewind_failure: true });
    expect(await wiping.rewind(target(b))).toMatchObject({ outcome: 'removed-data-directory' });
    expect((await wiping.observe()).dataDirectory).toBe('empty');
    await wiping.close();
  });

  it('in a switchover the cleanly demoted primary needs no rewind and follows the new primary onto the next timeline', async () => {
    expect(await b.ctl.demote({ mode: 'offline' })).toBe('stopped');
    const shutdown = await b.ctl.observe();
    expect(shutdown.controlState).toBe('shut down');
    await waitFor('a replayed the shutdown checkpoint', async () => ((await a.ctl.observe()).replayedLsn ?? 0) > (shutdown.checkpointLsn ?? Infinity));
    expect(await a.ctl.promote()).toMatchObject({ promoted: true, timeline: 3 });
    // Without a pre_promote script nothing is asked first: pg_promote's own refusal says it is primary.
    expect(await a.ctl.promote()).toEqual({ promoted: true, alreadyPrimary: true, timeline: 3 });
    await a.ctl.syncReplicationSlots({ members: ['a', 'b', 'c'] });
    await sql(a, "INSERT INTO marks VALUES ('after-switchover')");
    const check = await b.ctl.checkRewind(target(a));
    expect(check).toMatchObject({ needed: false, localTimeline: 2, leaderTimeline: 3 });
    expect(check.reason).toMatch(/shutdown checkpoint ends at (\d+), leader switched at \1/);
    expect(await b.ctl.start({ follow: target(a) })).toBe('started');
    await waitFor('switchover row on b', async () => (await sql(b, "SELECT 1 FROM marks WHERE label = 'after-switchover'")).length === 1);
    expect(await b.ctl.observe()).toMatchObject({ inRecovery: true, timeline: 3, replicationState: 'streaming' });
  });

  it('notices a kill -9 of the postmaster within a second, for its own child and for an adopted one', async () => {
    const childExit = new Promise<{ event: PostgresCtlEvent; at: number }>((resolve) => {
      c.ctl.on((event) => {
        if (event.type === 'postmaster-exit') resolve({ event, at: Date.now() });
      });
    });
    const cPid = Number(readFileSync(join(c.ctl.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const killedAt = Date.now();
    process.kill(cPid, 'SIGKILL');
    const seen = await childExit;
    timings['exit-detection-child'] = seen.at - killedAt;
    expect(seen.event).toMatchObject({ type: 'postmaster-exit', pid: cPid, signal: 'SIGKILL', via: 'child', expected: false });
    expect(seen.at - killedAt).toBeLessThan(1000);
    expect(c.ctl.state).toBe('crashed');
    // The crashed replica starts again over its stale postmaster.pid and streams.
    expect(await c.ctl.start({ follow: target(b) })).toBe('started');
    await waitFor('c streams again', async () => (await c.ctl.observe()).replicationState === 'streaming');

    // A second controller of the same directory adopts the running postmaster (agent restart).
    const adopter = PostgresCtl.create(a.ctl.options);
    expect((await adopter.observe()).running).toBe(true);
    const adoptedExit = new Promise<{ event: PostgresCtlEvent; at: number }>((resolve) => {
      adopter.on((event) => {
        if (event.type === 'postmaster-exit') resolve({ event, at: Date.now() });
      });
    });
    const aPid = Number(readFileSync(join(a.ctl.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const killedAdoptedAt = Date.now();
    process.kill(aPid, 'SIGKILL');
    const seenAdopted = await adoptedExit;
    timings['exit-detection-adopted'] = seenAdopted.at - killedAdoptedAt;
    expect(seenAdopted.event).toMatchObject({ type: 'postmaster-exit', pid: aPid, via: 'probe' });
    expect(seenAdopted.at - killedAdoptedAt).toBeLessThan(1000);
    await adopter.close();
  });
});
