import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildMemberData, derivePublishedState, publishedTags } from '../../src/runtime/member-data.js';
import { AgentMemberController } from '../../src/adapters/member-controller.js';
import type { AgentRuntime } from '../../src/runtime/agent-runtime.js';
import { recordingLogger, runningPrimary, testSettings } from '../doubles.js';

const self = { name: 'node1', apiUrl: 'http://127.0.0.1:8008/patroni', connUrl: 'postgres://127.0.0.1:5432/postgres', tags: { nofailover: false, clonefrom: true } };

describe('member key content', () => {
  it('publishes a running primary with its WAL position and timeline, boolean tags only when true', () => {
    const published = derivePublishedState(runningPrimary, undefined, true, testSettings);
    expect(published).toEqual({ state: 'running', role: 'primary' });
    expect(buildMemberData(self, runningPrimary, published, testSettings, undefined)).toEqual({
      conn_url: self.connUrl,
      api_url: self.apiUrl,
      state: 'running',
      role: 'primary',
      version: '4.0.0',
      tags: { clonefrom: true },
      xlog_location: 50_000_000,
      timeline: 1,
    });
  });

  it('never claims running while a clone runs, and hides WAL positions then', () => {
    const running = { name: "bootstrap from leader 'node2'", type: 'create-replica' as const, startedAtMs: 0 };
    const published = derivePublishedState({ ...runningPrimary, running: false, accepting: false, dataDirectory: 'empty' }, running, false, testSettings);
    expect(published).toEqual({ state: 'creating replica', role: 'uninitialized' });
    expect(buildMemberData(self, runningPrimary, published, testSettings, running)['xlog_location']).toBeUndefined();
  });

  it('spells a primary "master" under the Patroni 3.x spelling and leaves every other role alone', () => {
    expect(derivePublishedState(runningPrimary, undefined, true, testSettings, 'master')).toEqual({ state: 'running', role: 'master' });
    const replica = { ...runningPrimary, inRecovery: true };
    expect(derivePublishedState(replica, undefined, false, testSettings, 'master').role).toBe('replica');
    expect(derivePublishedState({ ...runningPrimary, running: false, accepting: false }, undefined, false, testSettings, 'master').role).toBe('demoted');
  });

  it('calls a stopped former primary demoted and a stopped replica a replica', () => {
    const stopped = { ...runningPrimary, running: false, accepting: false };
    expect(derivePublishedState(stopped, undefined, false, testSettings).role).toBe('demoted');
    expect(derivePublishedState({ ...stopped, hasRecoveryConfig: true }, undefined, false, testSettings)).toEqual({ state: 'stopped', role: 'replica' });
  });

  it('marks pause and pending restart', () => {
    const local = { ...runningPrimary, pendingRestart: { max_connections: { old_value: '100', new_value: '200' } } };
    const data = buildMemberData(self, local, { state: 'running', role: 'primary' }, { ...testSettings, paused: true }, undefined);
    expect(data).toMatchObject({ pause: true, pending_restart: true, pending_restart_reason: local.pendingRestart });
    expect(publishedTags({ a: false, b: null, c: 'x' })).toEqual({ c: 'x' });
  });

  it('publishes sync_priority, and nosync/nofailover set to false only next to their priority tag (as Patroni 4 does)', () => {
    expect(publishedTags({ sync_priority: 0 })).toEqual({ sync_priority: 0 });
    expect(publishedTags({ nosync: false, sync_priority: 2, nofailover: false, failover_priority: 3 })).toEqual({ nosync: false, sync_priority: 2, nofailover: false, failover_priority: 3 });
    expect(publishedTags({ nosync: false, nofailover: false, noloadbalance: false })).toEqual({});
  });

  it('publishes a scheduled restart with its filters and postmaster start time, and drops it once cancelled', async () => {
    const wakes: string[] = [];
    const runtime = {
      snapshot: { local: { ...runningPrimary, postmasterStartTime: '2026-11-25 19:00:01.1+00:00' } },
      wake: (reason: string) => wakes.push(reason),
    } as unknown as AgentRuntime<unknown>;
    const controller = new AgentMemberController(runtime, {} as never, {} as never, recordingLogger(), { nowMs: () => 0, wallMs: () => 0, setTimer: () => () => undefined });
    const published = { state: 'running', role: 'primary' };
    const keyWith = () => buildMemberData(self, runningPrimary, published, testSettings, undefined, controller.scheduledRestartMemberData());
    expect(keyWith()['scheduled_restart']).toBeUndefined();

    expect(await controller.scheduleRestart({ schedule: '2099-01-01T00:00:00+00:00', role: 'primary', postgresVersion: '16.1', restartPending: true })).toBe(true);
    expect(keyWith()['scheduled_restart']).toEqual({
      schedule: '2099-01-01T00:00:00+00:00',
      role: 'primary',
      postgres_version: '16.1',
      restart_pending: true,
      postmaster_start_time: '2026-11-25 19:00:01.1+00:00',
    });
    // /patroni shows the schedule without the postmaster start time, as Patroni does.
    expect(controller.scheduledRestartView()).not.toHaveProperty('postmaster_start_time');
    expect(wakes).toHaveLength(1);

    expect(await controller.cancelScheduledRestart()).toBe(true);
    expect(keyWith()).not.toHaveProperty('scheduled_restart');
    // The cancel wakes the cycle so the member key is rewritten without the schedule.
    expect(wakes).toHaveLength(2);
    controller.close();
  });

  it('keeps a restart scheduled months ahead published instead of running it at once', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-25T00:00:00Z') });
    const asked: unknown[] = [];
    const runtime = {
      snapshot: { local: runningPrimary, settings: { paused: false } },
      settings: { paused: true },
      wake: () => undefined,
      ask: async (kind: string) => {
        asked.push(kind);
        return { started: false, message: 'scheduled restart skipped: the cluster is paused' };
      },
    } as unknown as AgentRuntime<unknown>;
    const controller = new AgentMemberController(runtime, {} as never, {} as never, recordingLogger(), { nowMs: () => Date.now(), wallMs: () => Date.now(), setTimer: () => () => undefined });
    await controller.scheduleRestart({ schedule: '2027-06-01T00:00:00+00:00' });
    // Past setTimeout's 2^31-1 ms limit: Node would otherwise fire it after 1 ms.
    await vi.advanceTimersByTimeAsync(30 * 24 * 3600 * 1000);
    expect(controller.scheduledRestartMemberData()).toMatchObject({ schedule: '2027-06-01T00:00:00+00:00', postmaster_start_time: null });
    expect(asked).toEqual([]);
    await vi.advanceTimersByTimeAsync(200 * 24 * 3600 * 1000);
    expect(controller.scheduledRestartMemberData()).toBeUndefined();
    expect(asked).toEqual(['restart']);
    controller.close();
  });

  it('when due, asks the next cycle for the restart with the postmaster start time seen at schedule (decide() drops one that already happened)', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-25T00:00:00Z') });
    const asked: unknown[] = [];
    const snapshot = { local: { ...runningPrimary, postmasterStartTime: '2026-11-24 10:00:00+00:00' }, role: 'primary', settings: { ...testSettings } };
    const runtime = {
      snapshot,
      settings: { paused: false },
      wake: () => undefined,
      ask: async (kind: string, requests: unknown) => {
        asked.push({ kind, requests });
        return { started: false, message: 'Cancelling scheduled restart: postgres restart has already happened at 2026-11-25 00:30:00+00:00' };
      },
    } as unknown as AgentRuntime<unknown>;
    const logger = recordingLogger();
    const controller = new AgentMemberController(runtime, {} as never, {} as never, logger, { nowMs: () => Date.now(), wallMs: () => Date.now(), setTimer: () => () => undefined });
    await controller.scheduleRestart({ schedule: '2026-11-25T01:00:00+00:00', restartPending: true });
    snapshot.local = { ...snapshot.local, postmasterStartTime: '2026-11-25 00:30:00+00:00' };
    await vi.advanceTimersByTimeAsync(3600 * 1000 + 10);
    controller.close();
    expect(asked).toEqual([{ kind: 'restart', requests: { restart: { restartPending: true, scheduled: { postmasterStartTime: '2026-11-24 10:00:00+00:00' } } } }]);
    expect(controller.scheduledRestartMemberData()).toBeUndefined();
    expect(logger.lines.find((line) => line.message === 'scheduled restart')?.fields['outcome']).toContain('already happened');
  });
});

afterEach(() => {
  vi.useRealTimers();
});
