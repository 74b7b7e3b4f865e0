/**
 * The idle cycle's cost: observing a running server does not spawn
 * pg_controldata every time (issue: a process per cycle), yet what it read
 * is never stale where it matters — a new postmaster, a promotion, a
 * stopped server are read afresh. pg_controldata is wrapped by a script that
 * counts its runs; the other binaries are the real ones.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@pgwarden/testkit';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readControlFileHead } from '../src/files/control-file.js';
import { parseControlData, parseLsn } from '../src/files/controldata.js';
import { binDir, destroyMember, makeMember, type Member } from './helpers.js';

describe('observe on a running server', () => {
  let wrapped: TempDir;
  let member: Member | undefined;
  const runs = (): number => readFileSync(join(wrapped.path, 'runs.log'), 'utf8').split('\n').filter(Boolean).length;

  beforeAll(async () => {
    wrapped = makeTempDir('pgctl-bin', { forPostgres: true });
    for (const file of readdirSync(binDir)) if (file !== 'pg_controldata') symlinkSync(join(binDir, file), join(wrapped.path, file));
    writeFileSync(join(wrapped.path, 'runs.log'), '');
    chmodSync(join(wrapped.path, 'runs.log'), 0o666);
    writeFileSync(join(wrapped.path, 'pg_controldata'), `#!/bin/sh\necho run >> '${join(wrapped.path, 'runs.log')}'\nexec '${join(binDir, 'pg_controldata')}' "$@"\n`);
    chmodSync(join(wrapped.path, 'pg_controldata'), 0o755);
    member = await makeMember('cost', { bin_dir: wrapped.path });
    await member.ctl.bootstrap();
  });
  afterAll(async () => {
    await destroyMember(member);
    wrapped?.remove();
  });

  it('reads pg_controldata once per postmaster, not once per observation', async () => {
    const ctl = member!.ctl;
    const first = await ctl.observe();
    const before = runs();
    const later = [await ctl.observe(), await ctl.observe(), await ctl.observe()];
    expect(runs()).toBe(before);
    for (const local of later) expect(local).toMatchObject({ systemIdentifier: first.systemIdentifier, rewindable: first.rewindable, controlState: 'in production' });
  });

  describe('round trips', () => {
    // Every statement of this process goes through pg.Client#query: counting its calls counts round trips.
    let spy: ReturnType<typeof vi.spyOn> | undefined;
    const counting = (): (() => number) => {
      spy = vi.spyOn(pg.Client.prototype, 'query');
      return () => spy!.mock.calls.length;
    };
    afterEach(() => spy?.mockRestore());

    it('observes a running server in one round trip, and a slot sync with nothing to do adds none', async () => {
      const ctl = member!.ctl;
      await ctl.observe();
      expect(await ctl.syncReplicationSlots({ members: ['cost', 'other'] })).toMatchObject({ created: ['other'], dropped: [] });
      await ctl.observe();
      const calls = counting();
      const local = await ctl.observe();
      expect(calls()).toBe(1);
      expect(local.replicationSlots?.map((slot) => slot.name)).toEqual(['other']);
      expect(local.pendingRestart).toEqual({});
      expect(await ctl.syncReplicationSlots({ members: ['cost', 'other'] })).toEqual({ created: [], dropped: [], keptActive: [], advanced: [] });
      expect(calls()).toBe(1);
    });

    it('sends one statement at a time on the reused connection, in call order, when callers ask at once', async () => {
      const ctl = member!.ctl;
      await ctl.observe();
      let active = 0;
      let overlapping = 0;
      const original = pg.Client.prototype.query;
      spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
        active += 1;
        if (active > 1) overlapping += 1;
        const sent = (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
        return sent.finally(() => {
          active -= 1;
        }) as never;
      });
      const [slow, fast, local] = await Promise.all([ctl.query<{ n: number }>('SELECT 1 AS n FROM pg_sleep(0.05)'), ctl.query<{ n: number }>('SELECT 2 AS n'), ctl.observe()]);
      expect(spy.mock.calls.map((call) => String(call[0]).trim().split(/\s+/).slice(0, 3).join(' '))).toEqual(['SELECT 1 AS', 'SELECT 2 AS', 'SELECT pg_is_in_recovery() AS']);
      expect(overlapping).toBe(0);
      expect([slow[0]?.n, fast[0]?.n, local.accepting]).toEqual([1, 2, true]);
    });

    it('reads the slots afresh when the observation shows something to do, and acts on what is there then', async () => {
      const ctl = member!.ctl;
      await ctl.query("SELECT pg_catalog.pg_create_physical_replication_slot('stray')");
      await ctl.observe();
      const calls = counting();
      expect(await ctl.syncReplicationSlots({ members: ['cost', 'other'] })).toMatchObject({ created: [], dropped: ['stray'] });
      expect(calls()).toBeGreaterThan(1); // the fresh read, then the drop
      // A slot made after the observation is seen by the next one (a cycle later), not by this sync.
      await ctl.observe();
      await ctl.query("SELECT pg_catalog.pg_create_physical_replication_slot('late')");
      expect(await ctl.syncReplicationSlots({ members: ['cost', 'other'] })).toMatchObject({ dropped: [] });
      await ctl.observe();
      expect(await ctl.syncReplicationSlots({ members: ['cost', 'other'] })).toMatchObject({ dropped: ['late'] });
    });
  });

  it('reads a cleanly stopped server from pg_control itself, as pg_controldata reports it, and pg_controldata again for a new postmaster', async () => {
    const ctl = member!.ctl;
    const dataDir = join(member!.dir.path, 'data');
    await ctl.observe();
    const before = runs();
    await ctl.stop({ mode: 'fast', checkpoint: true });
    const stopped = await ctl.observe();
    expect(runs()).toBe(before); // no process while a demoted primary waits to publish its checkpoint
    const full = parseControlData(execFileSync(join(binDir, 'pg_controldata'), [dataDir], { env: { LANG: 'C', LC_ALL: 'C' } }).toString());
    const head = readControlFileHead(dataDir);
    expect(head).toBeDefined();
    for (const [key, value] of Object.entries(head!)) expect([key, value]).toEqual([key, full[key]]);
    expect(stopped).toMatchObject({ running: false, controlState: 'shut down', checkpointLsn: parseLsn(full['Latest checkpoint location']), systemIdentifier: full['Database system identifier'] });
    expect(stopped.timeline).toBe(Number(full["Latest checkpoint's TimeLineID"]));
    await ctl.start({});
    const restarted = await ctl.observe();
    expect(restarted).toMatchObject({ running: true, controlState: 'in production' });
    expect(runs()).toBe(before + 1);
  });

  it('trusts no pg_control whose CRC does not check out', () => {
    const copy = makeTempDir('pgctl-control');
    try {
      const bytes = readFileSync(join(member!.dir.path, 'data', 'global', 'pg_control'));
      mkdirSync(join(copy.path, 'global'));
      writeFileSync(join(copy.path, 'global', 'pg_control'), bytes);
      expect(readControlFileHead(copy.path)?.['Database cluster state']).toBe('in production');
      bytes[32] = bytes[32]! ^ 0x01; // one bit of the checkpoint location
      writeFileSync(join(copy.path, 'global', 'pg_control'), bytes);
      expect(readControlFileHead(copy.path)).toBeUndefined();
    } finally {
      copy.remove();
    }
  });
});
