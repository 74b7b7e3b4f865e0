import { FENCE_BUDGET_MS, PgwardenError, PRE_PROMOTE_FAILED, type Action, type FollowTarget, type DecideInput, type DecideResult, type PeerStatus } from '@pgwarden/core';
import { describe, expect, it } from 'vitest';
import { LeaderKeyGate } from '../../src/runtime/action-executor.js';
import { AgentRuntime } from '../../src/runtime/agent-runtime.js';
import type { CycleSnapshot } from '../../src/runtime/runtime-types.js';
import type { RuntimeOptions } from '../../src/runtime/runtime-types.js';
import type { LongOperationOptions } from '../../src/ports.js';
import {
  FakeDcs,
  FakePostgres,
  RecordingCallbacks,
  recordingLogger,
  TestClock,
  runningPrimary,
  testSettings,
  unreachablePeers,
  usableWatchdog,
} from '../doubles.js';

interface Memory {
  readonly seen: number;
}

type Script = (input: DecideInput<Memory>) => { actions: Action[]; message?: string; ruleId?: string };

function makeRuntime(script: Script, overrides: Partial<RuntimeOptions<Memory>> = {}) {
  const clock = new TestClock();
  const dcs = new FakeDcs('node1', () => clock.nowMs());
  const postgres = new FakePostgres();
  const callbacks = new RecordingCallbacks();
  const logger = recordingLogger();
  const inputs: DecideInput<Memory>[] = [];
  const decide = (input: DecideInput<Memory>): DecideResult<Memory> => {
    inputs.push(input);
    const { actions, message, ruleId } = script(input);
    return { actions, message: message ?? 'no action', ruleId: ruleId ?? 'test', memory: { ...input.memory, seen: input.memory.seen + 1 } };
  };
  const runtime = new AgentRuntime<Memory>({
    self: { name: 'node1', apiUrl: 'http://127.0.0.1:8008/patroni', connUrl: 'postgres://127.0.0.1:5432/postgres', tags: {} },
    dcs,
    postgres,
    peers: unreachablePeers,
    callbacks,
    watchdog: usableWatchdog,
    logger,
    decide,
    initialMemory: { seen: 0 },
    settings: () => testSettings,
    clock,
    ...overrides,
  });
  return { runtime, dcs, postgres, callbacks, logger, inputs, clock };
}

describe('the cycle', () => {
  it('executes actions in order and stops at the first failure, which the next cycle sees', async () => {
    const { runtime, postgres, inputs } = makeRuntime(() => ({
      actions: [{ type: 'checkpoint' }, { type: 'reload' }, { type: 'set-synchronous-standby-names', value: '*' }],
    }));
    postgres.failOn.add('reload');
    await runtime.runCycle();
    expect(postgres.calls).toEqual(['checkpoint', 'reload']);
    await runtime.runCycle();
    expect(inputs[1]?.lastFailure?.action.type).toBe('reload');
    expect(inputs[1]?.lastFailure?.message).toContain('reload exploded');
  });

  it('passes a confirmed lock renewal to the next decide() and shows it in the snapshot', async () => {
    const { runtime, dcs, inputs } = makeRuntime(() => ({ actions: [{ type: 'acquire-lock' }] }));
    const first = await runtime.runCycle();
    expect(dcs.leaderOwner).toBe('node1');
    expect(first?.lockRenewedAtMs).toBe(1000);
    await runtime.runCycle();
    expect(inputs[1]?.lockRenewedAtMs).toBe(1000);
    expect(inputs[0]?.lockRenewedAtMs).toBeUndefined();
  });

  it('does not take the lock when the watchdog is required but unusable', async () => {
    const { runtime, dcs, inputs } = makeRuntime(() => ({ actions: [{ type: 'acquire-lock' }, { type: 'promote' }] }), {
      watchdog: { ...usableWatchdog, usable: false },
    });
    await runtime.runCycle();
    expect(dcs.leaderOwner).toBeUndefined();
    await runtime.runCycle();
    expect(inputs[1]?.lastFailure?.message).toContain('watchdog');
  });

  it('runs a long action in the background, reports it as running, then hands over its result once', async () => {
    let release!: () => void;
    const { runtime, postgres, inputs } = makeRuntime((input) => ({
      actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }, { type: 'promote' }, { type: 'checkpoint' }] : [],
    }));
    postgres.gate = new Promise((resolve) => (release = resolve));
    const snapshot = await runtime.runCycle();
    expect(snapshot?.running?.name).toBe('promote');
    await runtime.runCycle();
    expect(inputs[1]?.running?.type).toBe('promote');
    release();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(postgres.calls).toEqual(['promote', 'checkpoint']);
    await runtime.runCycle();
    expect(inputs[2]?.running).toBeUndefined();
    expect(inputs[2]?.lastActionResult).toEqual({ type: 'promote', ok: true });
    await runtime.runCycle();
    expect(inputs[3]?.lastActionResult).toBeUndefined();
  });

  it('hands the timelines to skip to the promotion, and nothing when there are none', async () => {
    const { runtime, postgres } = makeRuntime((input) => ({
      actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }, { type: 'promote', skipTimelinesThrough: 19 }] : input.memory.seen === 1 ? [{ type: 'promote' }] : [],
    }));
    const seen: Array<Parameters<typeof postgres.promote>[0]> = [];
    postgres.promote = (options) => {
      seen.push(options);
      return Promise.resolve();
    };
    await runtime.runCycle();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await runtime.runCycle();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen.map((options) => options.skipTimelinesThrough)).toEqual([19, undefined]);
    expect('skipTimelinesThrough' in (seen[1] ?? {})).toBe(false);
  });

  it('hands a promotion refused by pre_promote to the next cycle with its cause, and runs no on_role_change', async () => {
    const { runtime, postgres, callbacks, inputs } = makeRuntime((input) => ({ actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }, { type: 'promote' }] : [] }));
    postgres.promote = () => Promise.reject(new PgwardenError(PRE_PROMOTE_FAILED, 'pre_promote script exited with code 1'));
    await runtime.runCycle();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await runtime.runCycle();
    expect(inputs[1]?.lastActionResult).toEqual({ type: 'promote', ok: false, message: 'pre_promote script exited with code 1', cause: 'pre-promote-failed' });
    expect(callbacks.runs.filter(([action]) => action === 'on_role_change')).toEqual([]);
  });

  it('hands any other failed promotion to the next cycle without a cause', async () => {
    const { runtime, postgres, inputs } = makeRuntime((input) => ({ actions: input.memory.seen === 0 ? [{ type: 'promote' }] : [] }));
    postgres.failOn.add('promote');
    await runtime.runCycle();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await runtime.runCycle();
    expect(inputs[1]?.lastActionResult).toMatchObject({ type: 'promote', ok: false });
    expect(inputs[1]?.lastActionResult?.cause).toBeUndefined();
  });

  it('hands each decision\'s memory to keepMemory before its actions, also while a long action runs', async () => {
    let release!: () => void;
    const kept: Array<{ seen: number; calls: number }> = [];
    const { runtime, postgres } = makeRuntime((input) => ({ actions: input.memory.seen === 1 ? [{ type: 'acquire-lock' }, { type: 'promote' }] : [{ type: 'checkpoint' }] }), {
      keepMemory: (memory) => {
        kept.push({ seen: memory.seen, calls: postgres.calls.length });
        if (memory.seen === 3) throw new Error('disk full');
      },
    });
    postgres.gate = new Promise((resolve) => (release = resolve));
    await runtime.runCycle(); // seen 1: kept, then the checkpoint
    await runtime.runCycle(); // seen 2: kept before the promotion starts
    await runtime.runCycle(); // seen 3: the promotion runs; kept, and its failure does not stop the cycle
    release();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await runtime.runCycle();
    expect(kept).toEqual([{ seen: 1, calls: 0 }, { seen: 2, calls: 1 }, { seen: 3, calls: 2 }, { seen: 4, calls: 3 }]);
  });

  it('refuses a second long action while one runs and says which one is in progress', async () => {
    const { runtime, postgres, inputs } = makeRuntime(() => ({ actions: [{ type: 'bootstrap' }] }));
    postgres.gate = new Promise(() => undefined);
    await runtime.runCycle();
    await runtime.runCycle();
    await runtime.runCycle();
    expect(inputs[2]?.lastFailure?.message).toBe('Failed to run bootstrap, bootstrap is already in progress');
  });

  it('calls decide again in the same cycle with the peer statuses it asked for', async () => {
    const seenPeers: Array<readonly PeerStatus[] | undefined> = [];
    const { runtime, dcs } = makeRuntime(
      (input) => {
        seenPeers.push(input.peers);
        return { actions: input.peers === undefined ? [{ type: 'fetch-peer-status', members: ['node2'] }] : [{ type: 'acquire-lock' }] };
      },
      {
        peers: {
          fetchStatus: async () => ({ state: 'running', role: 'replica', xlog: { received_location: 10, replayed_location: 12 } }),
          postFailsafe: async () => true,
        },
      },
    );
    dcs.members.set('node2', { api_url: 'http://127.0.0.1:1/patroni' });
    await runtime.runCycle();
    expect(seenPeers).toHaveLength(2);
    expect(seenPeers[1]).toEqual([
      expect.objectContaining({ name: 'node2', reachable: true, walPosition: 12, isPrimary: false }),
    ]);
    expect(dcs.leaderOwner).toBe('node1');
  });

  it('answers a question for the leader\'s timeline history from the port, and a failure as a failed answer, in the same cycle', async () => {
    const seen: Array<DecideInput<Memory>['leaderHistory']> = [];
    const ask: Action = { type: 'fetch-leader-history', source: { name: 'node2', connUrl: 'postgres://127.0.0.1:5433/postgres' }, forTimeline: 3 };
    const { runtime, postgres, logger } = makeRuntime((input) => {
      seen.push(input.leaderHistory);
      return { actions: input.leaderHistory === undefined ? [ask] : [] };
    });
    postgres.history = { timeline: 3, lines: [[1, 100], [2, 200]] };
    await runtime.runCycle();
    expect(seen).toEqual([undefined, { leader: 'node2', forTimeline: 3, ok: true, timeline: 3, lines: [[1, 100], [2, 200]] }]);
    postgres.history = undefined;
    await runtime.runCycle();
    expect(seen[3]).toEqual({ leader: 'node2', forTimeline: 3, ok: false, message: 'connection refused' });
    expect(postgres.calls.filter((call) => call === 'timelineHistory')).toHaveLength(2);
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', fields: { leader: 'node2', error: 'connection refused' } }));
  });

  it('as the candidate of a switchover with nobody holding the lock, asks the peers while it observes PostgreSQL, and decide gets those answers without asking again', async () => {
    const events: string[] = [];
    const seenPeers: Array<readonly PeerStatus[] | undefined> = [];
    const { runtime, dcs, postgres } = makeRuntime(
      (input) => {
        seenPeers.push(input.peers);
        return { actions: input.peers === undefined ? [{ type: 'fetch-peer-status', members: ['node2'] }] : [] };
      },
      {
        peers: {
          fetchStatus: async (url) => {
            events.push(`fetch ${url}`);
            return { state: 'running', role: 'replica', xlog: { received_location: 10, replayed_location: 12 } };
          },
          postFailsafe: async () => true,
        },
      },
    );
    const observe = postgres.observe.bind(postgres);
    postgres.observe = async () => {
      events.push('observe started');
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.push('observe done');
      return observe();
    };
    dcs.cluster = { ...dcs.cluster, initialize: '7000000000000000001', failover: { leader: 'node2', candidate: 'node1', version: 1 } };
    dcs.members.set('node2', { api_url: 'http://127.0.0.1:2/patroni' });
    dcs.members.set('node3', { api_url: 'http://127.0.0.1:3/patroni' });
    await runtime.runCycle();
    expect(events.indexOf('fetch http://127.0.0.1:2/patroni')).toBeLessThan(events.indexOf('observe done'));
    expect(events.filter((event) => event.startsWith('fetch'))).toEqual(['fetch http://127.0.0.1:2/patroni', 'fetch http://127.0.0.1:3/patroni']);
    expect(seenPeers[1]).toEqual([expect.objectContaining({ name: 'node2', reachable: true, walPosition: 12 })]);
    // Without a switchover to us (an unplanned race), and with a leader, nobody is asked before decide asks.
    for (const change of [() => (dcs.cluster = { ...dcs.cluster, failover: undefined }), () => (dcs.leaderOwner = 'node2')]) {
      change();
      events.length = 0;
      await runtime.runCycle();
      expect(events.indexOf('fetch http://127.0.0.1:2/patroni')).toBeGreaterThan(events.indexOf('observe done'));
      expect(events.filter((event) => event.startsWith('fetch'))).toEqual(['fetch http://127.0.0.1:2/patroni']);
    }
  });

  it('as the candidate of a switchover whose former leader published its stop with the release, asks no peer before decide', async () => {
    const fetched: string[] = [];
    const { runtime, dcs } = makeRuntime(() => ({ actions: [] }), {
      peers: {
        fetchStatus: async (url) => {
          fetched.push(url);
          return undefined;
        },
        postFailsafe: async () => true,
      },
    });
    dcs.cluster = { ...dcs.cluster, initialize: '7000000000000000001', failover: { leader: 'node2', candidate: 'node1', version: 1 } };
    dcs.members.set('node2', { api_url: 'http://127.0.0.1:2/patroni', state: 'stopped', role: 'demoted' });
    dcs.members.set('node3', { api_url: 'http://127.0.0.1:3/patroni' });
    await runtime.runCycle();
    expect(fetched).toEqual([]);
    // The same with the former leader's key still saying it runs: asked while observing.
    dcs.members.set('node2', { api_url: 'http://127.0.0.1:2/patroni', state: 'running', role: 'primary' });
    await runtime.runCycle();
    expect(fetched).toEqual(['http://127.0.0.1:2/patroni', 'http://127.0.0.1:3/patroni']);
  });

  it('publishes the member key with the role and WAL position after each cycle', async () => {
    const { runtime, dcs } = makeRuntime(() => ({ actions: [] }));
    await runtime.runCycle();
    expect(dcs.members.get('node1')).toMatchObject({ role: 'primary', state: 'running', xlog_location: 50_000_000, timeline: 1 });
  });

  it('publishes a primary as "master" in the member key and the snapshot under the Patroni 3.x spelling', async () => {
    const { runtime, dcs } = makeRuntime(() => ({ actions: [] }), { primaryRole: 'master' });
    await runtime.runCycle();
    expect(dcs.members.get('node1')).toMatchObject({ role: 'master', state: 'running' });
    expect(runtime.snapshot?.role).toBe('master');
  });

  it('logs the cycle message once per cycle and a role change loudly', async () => {
    const { runtime, postgres, logger } = makeRuntime(() => ({ actions: [], message: 'no action. I am (node1), the leader with the lock' }));
    await runtime.runCycle();
    postgres.local = { ...postgres.local, inRecovery: true, hasRecoveryConfig: true };
    await runtime.runCycle();
    expect(logger.lines.filter((line) => line.message.startsWith('no action'))).toHaveLength(2);
    const change = logger.lines.find((line) => line.fields['event'] === 'role-change');
    expect(change).toMatchObject({ level: 'warn', fields: { from: 'primary', to: 'replica' } });
  });

  it('fires on_start once after start-up when PostgreSQL is already running', async () => {
    const { runtime, callbacks } = makeRuntime(() => ({ actions: [] }));
    await runtime.runCycle();
    await runtime.runCycle();
    expect(callbacks.runs).toEqual([['on_start', 'primary']]);
  });

  it('does not publish the member key when the DCS is unreachable', async () => {
    const { runtime, dcs, inputs } = makeRuntime(() => ({ actions: [] }));
    dcs.reachable = false;
    const snapshot = await runtime.runCycle();
    expect(inputs[0]?.cluster.ok).toBe(false);
    expect(dcs.members.size).toBe(0);
    expect(snapshot?.cluster).toBeUndefined();
  });
});

describe('the loop', () => {
  it('wakes up early when the postmaster exits instead of waiting loop_wait', async () => {
    const { runtime, postgres, inputs } = makeRuntime(() => ({ actions: [] }));
    const running = runtime.run();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(inputs).toHaveLength(1);
    postgres.simulatePostmasterExit();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(inputs).toHaveLength(2);
    runtime.stop();
    await running;
  });

  it('wakes up early on a DCS watch event', async () => {
    const { runtime, dcs, inputs } = makeRuntime(() => ({ actions: [] }));
    const running = runtime.run();
    await new Promise((resolve) => setTimeout(resolve, 50));
    dcs.fireWatch();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(inputs).toHaveLength(2);
    runtime.stop();
    await running;
  });

  it('on shutdown as leader stops PostgreSQL and releases the key with the checkpoint LSN', async () => {
    const { runtime, dcs, postgres } = makeRuntime(() => ({ actions: [{ type: 'acquire-lock' }] }));
    const running = runtime.run();
    await new Promise((resolve) => setTimeout(resolve, 50));
    runtime.stop();
    expect(await running).toBe(0);
    expect(postgres.calls).toContain('stop');
    expect(dcs.leaderOwner).toBeUndefined();
    expect(dcs.statusLsn).toBe(49_000_000);
  });

  it('on shutdown as leader shows PostgreSQL stopped through the REST API before it releases the key', async () => {
    const published: { role: string; state: string; owner: string | undefined }[] = [];
    let dcsRef: FakeDcs | undefined;
    const { runtime, dcs, postgres } = makeRuntime(() => ({ actions: [{ type: 'acquire-lock' }] }), {
      publish: (snapshot) => published.push({ role: snapshot.role, state: snapshot.state, owner: dcsRef?.leaderOwner }),
    });
    dcsRef = dcs;
    postgres.stop = async () => {
      postgres.local = { ...postgres.local, running: false, accepting: false };
    };
    const running = runtime.run();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(published.at(-1)).toMatchObject({ role: 'primary', state: 'running' });
    runtime.stop();
    expect(await running).toBe(0);
    expect(dcs.leaderOwner).toBeUndefined();
    const shown = published.at(-1);
    expect(shown?.state).toBe('stopped');
    expect(shown?.role).not.toBe('primary');
    expect(shown?.owner).toBe('node1');
  });

  it('on shutdown as leader publishes the stopped state before it releases the key', async () => {
    const { runtime, dcs, postgres } = makeRuntime(() => ({ actions: [{ type: 'acquire-lock' }] }));
    postgres.stop = async () => {
      postgres.local = { ...postgres.local, running: false, accepting: false };
    };
    const running = runtime.run();
    await new Promise((resolve) => setTimeout(resolve, 50));
    runtime.stop();
    expect(await running).toBe(0);
    const release = dcs.calls.lastIndexOf('deleteLeader');
    expect(release).toBeGreaterThan(0);
    expect(dcs.calls[release - 1]).toBe('touchMember:stopped');
  });

  it('in synchronous mode, primary_stop_timeout bounds the stop at shutdown and in a demotion; outside it, it does not', async () => {
    const stopsWith = async (settings: Partial<typeof testSettings>) => {
      const { runtime, postgres } = makeRuntime((input) => ({ actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }, { type: 'demote', mode: 'graceful' }] : [] }), {
        settings: () => ({ ...testSettings, ...settings }),
      });
      const running = runtime.run();
      await new Promise((resolve) => setTimeout(resolve, 50));
      runtime.stop();
      await running;
      return postgres.stops.map((options) => options.timeoutSeconds);
    };
    expect(await stopsWith({ synchronousMode: true, primaryStopTimeoutSeconds: 7 })).toEqual([7, 7]);
    expect(await stopsWith({ synchronousMode: false, primaryStopTimeoutSeconds: 7 })).toEqual([undefined, undefined]);
    expect(await stopsWith({ synchronousMode: true, primaryStopTimeoutSeconds: 0 })).toEqual([undefined, undefined]);
  });

  it('a demotion gives CHECKPOINT and before_stop only the time left before the lock can expire, less the fence budget; none without a lock', async () => {
    const budgets = async (actions: Action[]) => {
      const { runtime, postgres } = makeRuntime((input) => ({ actions: input.memory.seen === 0 ? actions : [] }));
      const running = runtime.run();
      await new Promise((resolve) => setTimeout(resolve, 50));
      runtime.stop();
      await running;
      return postgres.stops.map((options) => options.preStopBudgetMs);
    };
    const [held] = await budgets([{ type: 'acquire-lock' }, { type: 'demote', mode: 'graceful' }]);
    expect(held).toBe(testSettings.ttlSeconds * 1000 - FENCE_BUDGET_MS);
    expect((await budgets([{ type: 'demote', mode: 'offline' }]))[0]).toBe(0);
  });

  it('on shutdown while paused leaves PostgreSQL running and keeps the leader key', async () => {
    const { runtime, dcs, postgres } = makeRuntime(() => ({ actions: [{ type: 'acquire-lock' }] }), {
      settings: () => ({ ...testSettings, paused: true }),
    });
    const running = runtime.run();
    await new Promise((resolve) => setTimeout(resolve, 50));
    runtime.stop();
    await running;
    expect(postgres.calls).not.toContain('stop');
    expect(dcs.leaderOwner).toBe('node1');
  });

  it('exits with the code decide() asks for, without stopping PostgreSQL', async () => {
    const { runtime, postgres } = makeRuntime(() => ({ actions: [{ type: 'exit', code: 1, reason: 'system ID mismatch' }] }));
    expect(await runtime.run()).toBe(1);
    expect(postgres.calls).not.toContain('stop');
  });
});

describe('operator paths', () => {
  it('re-reads the local configuration before the next cycle after reload(), and survives a bad file', async () => {
    let reloads = 0;
    const { runtime, logger } = makeRuntime(() => ({ actions: [] }), {
      reloadLocalConfig: async () => {
        reloads += 1;
        if (reloads === 2) throw new Error('postgresql.listen: expected host:port');
      },
    });
    const running = runtime.run();
    await new Promise((resolve) => setTimeout(resolve, 30));
    runtime.reload();
    await new Promise((resolve) => setTimeout(resolve, 30));
    runtime.reload();
    await new Promise((resolve) => setTimeout(resolve, 30));
    runtime.stop();
    await running;
    expect(reloads).toBe(2);
    expect(logger.lines.some((line) => line.level === 'error' && String(line.fields['error']).includes('postgresql.listen'))).toBe(true);
  });

  describe('operator requests go through decide()', () => {
    // decide() as core answers requests: a `request.*` rule starts the action or refuses it.
    const requestRules: Script = (input) => {
      if (input.running !== undefined) return { actions: [], message: `${input.running.name} in progress`, ruleId: 'long-action' };
      const restart = input.requests.restart;
      if (restart?.restartPending === true) return { actions: [], message: 'restart conditions are not satisfied', ruleId: 'request.restart.conditions' };
      if (restart !== undefined) return { actions: [{ type: 'restart' }], message: 'restart initiated', ruleId: 'request.restart' };
      if (input.requests.reinitialize !== undefined) return { actions: [{ type: 'reinitialize' }], message: 'reinitialize started', ruleId: 'request.reinitialize' };
      return { actions: [] };
    };

    it('starts what decide() decided, answers the asker, and refuses another request while it runs', async () => {
      const { runtime, postgres, inputs } = makeRuntime(requestRules);
      let release!: () => void;
      postgres.restart = async () => {
        postgres.calls.push('restart');
        await new Promise<void>((resolve) => (release = resolve));
      };
      const asked = runtime.ask('restart', { restart: { timeoutSeconds: 5 } });
      await runtime.runCycle();
      expect(inputs[0]?.requests).toEqual({ restart: { timeoutSeconds: 5 } });
      const first = await asked;
      expect(first).toMatchObject({ started: true, message: 'restart initiated' });
      const second = runtime.ask('reinitialize', { reinitialize: { force: false, fromLeader: false } });
      await runtime.runCycle();
      expect(await second).toEqual({ started: false, message: 'restart already in progress' });
      release();
      if (first.started) expect(await first.done).toEqual({ type: 'restart', ok: true });
      expect(postgres.calls).toEqual(['restart']);
    });

    it('a reinitialize with force cancels the running action (a clone that hangs) and starts in its place', async () => {
      const forcing: Script = (input) => {
        if (input.requests.reinitialize?.force === true) return { actions: [{ type: 'reinitialize', force: true }], message: 'reinitialize started', ruleId: 'request.reinitialize' };
        return requestRules(input);
      };
      const { runtime, postgres } = makeRuntime(forcing);
      const reasons: unknown[] = [];
      postgres.reinitialize = async (_source: FollowTarget | undefined, options?: LongOperationOptions) => {
        postgres.calls.push('reinitialize');
        if (postgres.calls.length > 1) return;
        const signal = options?.signal;
        await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
        reasons.push(signal?.reason);
        throw new Error('clone cancelled');
      };
      const stuck = runtime.ask('reinitialize', { reinitialize: { force: false, fromLeader: false } });
      await runtime.runCycle();
      expect(await stuck).toMatchObject({ started: true });
      const forced = runtime.ask('reinitialize', { reinitialize: { force: true, fromLeader: false } });
      await runtime.runCycle();
      const outcome = await forced;
      expect(outcome).toMatchObject({ started: true, message: 'reinitialize started' });
      expect(String(reasons[0])).toMatch(/cancelled/);
      if (outcome.started) expect(await outcome.done).toMatchObject({ type: 'reinitialize', ok: true });
      expect(postgres.calls).toEqual(['reinitialize', 'reinitialize']);
    });

    it("answers decide()'s refusal in its words and starts nothing", async () => {
      const { runtime, postgres } = makeRuntime(requestRules);
      const asked = runtime.ask('restart', { restart: { restartPending: true } });
      await runtime.runCycle();
      expect(await asked).toEqual({ started: false, message: 'restart conditions are not satisfied' });
      expect(postgres.calls).toEqual([]);
    });

    it('a request that another rule overrode is answered as not started, with that rule\'s message', async () => {
      const { runtime } = makeRuntime(() => ({ actions: [], message: 'following a new leader' }));
      const asked = runtime.ask('reinitialize', { reinitialize: { force: false, fromLeader: true } });
      await runtime.runCycle();
      expect(await asked).toEqual({ started: false, message: 'reinitialize not started: following a new leader' });
    });

    it('a request still waiting when the agent stops is answered, not left hanging', async () => {
      const { runtime } = makeRuntime(() => ({ actions: [] }));
      runtime.stop();
      const asked = runtime.ask('restart', { restart: {} });
      await runtime.run();
      expect(await asked).toEqual({ started: false, message: 'the agent is shutting down' });
    });
  });

  it('shows a leader that proved itself through POST /failsafe to decide() while the DCS has no leader', async () => {
    const { runtime, inputs } = makeRuntime(() => ({ actions: [] }), { settings: () => ({ ...testSettings, failsafeMode: true }) });
    runtime.acceptFailsafeLeader('node9');
    await runtime.runCycle();
    const cluster = inputs[0]?.cluster;
    expect(cluster?.ok && cluster.value.leader?.name).toBe('node9');
  });

  it('calls the shutdown hook before stopping PostgreSQL', async () => {
    const order: string[] = [];
    const { runtime, postgres } = makeRuntime(() => ({ actions: [] }), { beforeShutdown: async () => void order.push('hook') });
    const originalStop = postgres.stop;
    postgres.stop = async (options) => {
      order.push('stop');
      await originalStop(options);
    };
    const running = runtime.run();
    await new Promise((resolve) => setTimeout(resolve, 30));
    runtime.stop();
    await running;
    expect(order).toEqual(['hook', 'stop']);
  });

  it('stops calling itself leader as soon as a demotion starts', async () => {
    const { runtime, postgres } = makeRuntime((input) => ({ actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }] : [{ type: 'demote', mode: 'graceful' }] }));
    postgres.gate = new Promise(() => undefined);
    postgres.stop = async () => {
      await new Promise(() => undefined);
    };
    expect((await runtime.runCycle())?.lockRenewedAtMs).toBe(1000);
    const demoting = await runtime.runCycle();
    expect(demoting?.running?.type).toBe('demote');
    expect(demoting?.lockRenewedAtMs).toBeUndefined();
  });

  it('does not call itself leader again when the key is renewed while the demotion still runs', async () => {
    // The cycle keeps renewing the key during the demotion (it is released with the shutdown
    // checkpoint LSN); /primary must still answer 503 for a PostgreSQL that is stopping or
    // already restarted as a replica, or HAProxy routes writers to it again.
    let stopped!: () => void;
    const { runtime, dcs, postgres } = makeRuntime((input) => ({
      actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }] : input.memory.seen === 1 ? [{ type: 'demote', mode: 'graceful' }] : [{ type: 'update-lock', lastLsn: 0 }],
    }));
    postgres.stop = () => new Promise<void>((resolve) => (stopped = resolve));
    expect((await runtime.runCycle())?.lockRenewedAtMs).toBe(1000);
    expect((await runtime.runCycle())?.running?.type).toBe('demote');
    const renewedDuringDemotion = await runtime.runCycle();
    expect(dcs.calls.filter((call) => call === 'updateLeader')).toHaveLength(1);
    expect(renewedDuringDemotion?.running?.type).toBe('demote');
    expect(renewedDuringDemotion?.lockRenewedAtMs).toBeUndefined();
    stopped();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(dcs.calls).toContain('deleteLeader');
  });

  it('publishes its stopped state before it releases the key after a demotion', async () => {
    // Members racing for a released key read a member key that says "running primary" as a live
    // primary and do not take over; they are not woken by the later update (a loop_wait lost).
    const { runtime, dcs, postgres } = makeRuntime((input) => ({
      actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }] : input.memory.seen === 1 ? [{ type: 'demote', mode: 'graceful' }] : [],
    }));
    postgres.stop = async () => {
      postgres.local = { ...postgres.local, running: false, accepting: false };
    };
    await runtime.runCycle();
    await runtime.runCycle();
    for (let i = 0; i < 100 && !dcs.calls.includes('deleteLeader'); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    const release = dcs.calls.indexOf('deleteLeader');
    expect(release).toBeGreaterThan(0);
    expect(dcs.calls[release - 1]).toBe('touchMember:stopped');
  });

  it('with a DCS that writes the member key and the release at once, a demotion, a release-lock and a shutdown use that one write', async () => {
    const demoting = makeRuntime((input) => ({
      actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }] : input.memory.seen === 1 ? [{ type: 'demote', mode: 'graceful' }] : [],
    }));
    demoting.dcs.offerAtomicRelease();
    await demoting.runtime.runCycle();
    await demoting.runtime.runCycle();
    for (let i = 0; i < 100 && demoting.dcs.leaderOwner !== undefined; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(demoting.dcs.leaderOwner).toBeUndefined();
    expect(demoting.dcs.calls.filter((call) => call.startsWith('releaseLeader') || call === 'deleteLeader' || call === 'touchMember:stopped')).toEqual(['releaseLeader:stopped']);
    expect(demoting.dcs.statusLsn).toBe(49_000_000);

    const releasing = makeRuntime((input) => ({ actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }] : [{ type: 'release-lock' }] }));
    releasing.dcs.offerAtomicRelease();
    await releasing.runtime.runCycle();
    releasing.postgres.local = { ...releasing.postgres.local, running: false, accepting: false };
    await releasing.runtime.runCycle();
    expect(releasing.dcs.leaderOwner).toBeUndefined();
    expect(releasing.dcs.calls.filter((call) => call.startsWith('releaseLeader') || call === 'deleteLeader')).toEqual(['releaseLeader:stopped']);

    const stopping = makeRuntime(() => ({ actions: [{ type: 'acquire-lock' }] }));
    stopping.dcs.offerAtomicRelease();
    const running = stopping.runtime.run();
    await new Promise((resolve) => setTimeout(resolve, 50));
    stopping.runtime.stop();
    expect(await running).toBe(0);
    expect(stopping.dcs.leaderOwner).toBeUndefined();
    expect(stopping.dcs.calls.filter((call) => call.startsWith('releaseLeader') || call === 'deleteLeader')).toEqual(['releaseLeader:stopped']);
  });

  /** Takes the key, then demotes gracefully for a switchover to node2, on a DCS with the atomic release. */
  const switchover = (): ReturnType<typeof makeRuntime> => {
    const made = makeRuntime((input) => ({
      actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }] : input.memory.seen === 1 ? [{ type: 'demote', mode: 'graceful', handOverTo: 'node2' }] : [],
    }));
    made.dcs.offerAtomicRelease();
    return made;
  };
  /** Until the demotion running in the background has released the key. */
  const settle = async (dcs: FakeDcs): Promise<void> => {
    for (let i = 0; i < 100 && !dcs.calls.some((call) => call.startsWith('releaseLeader')); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  it('a switchover hands the key over with the checkpoint only after a clean shutdown; after a stop that escalated to SIGQUIT it releases without a position and hands nothing over', async () => {
    const clean = switchover();
    await clean.runtime.runCycle();
    await clean.runtime.runCycle();
    await settle(clean.dcs);
    expect(clean.postgres.local.controlState).toBe('shut down');
    expect(clean.dcs.leaderOwner).toBe('node2');
    expect(clean.dcs.statusLsn).toBe(49_000_000);

    // pg_ctl_timeout ran out and the postmaster got SIGQUIT: pg_control names the CHECKPOINT taken
    // before the stop, and WAL with acknowledged commits lies beyond it.
    const escalated = switchover();
    escalated.postgres.stop = async () => {
      escalated.postgres.local = { ...escalated.postgres.local, running: false, accepting: false, controlState: 'in production' };
    };
    await escalated.runtime.runCycle();
    await escalated.runtime.runCycle();
    await settle(escalated.dcs);
    expect(escalated.dcs.calls).toContain('releaseLeader:stopped');
    expect(escalated.dcs.leaderOwner).toBeUndefined();
    expect(escalated.dcs.statusLsn).toBeUndefined();
    expect(escalated.logger.lines.some((line) => line.message.includes('did not shut down cleanly'))).toBe(true);
  });

  it("a standby cluster's leader (a clean stop in recovery) hands the key over without a position, and warns of nothing", async () => {
    const { runtime, dcs, postgres, logger } = switchover();
    postgres.local = { ...postgres.local, inRecovery: true, hasRecoveryConfig: true };
    await runtime.runCycle();
    await runtime.runCycle();
    await settle(dcs);
    expect(postgres.local.controlState).toBe('shut down in recovery');
    expect(dcs.leaderOwner).toBe('node2');
    expect(dcs.statusLsn).toBeUndefined();
    expect(logger.lines.some((line) => line.message.includes('did not shut down cleanly'))).toBe(false);
  });

  it('on shutdown as leader after a stop that was not clean releases the key without a position', async () => {
    const { runtime, dcs, postgres, logger } = makeRuntime(() => ({ actions: [{ type: 'acquire-lock' }] }));
    postgres.stop = async () => {
      postgres.local = { ...postgres.local, running: false, accepting: false, controlState: 'in production' };
    };
    const running = runtime.run();
    await new Promise((resolve) => setTimeout(resolve, 50));
    runtime.stop();
    expect(await running).toBe(0);
    expect(dcs.calls).toContain('deleteLeader');
    expect(dcs.leaderOwner).toBeUndefined();
    expect(dcs.statusLsn).toBeUndefined();
    expect(logger.lines.some((line) => line.message.includes('did not shut down cleanly'))).toBe(true);
  });

  it('a demotion shows PostgreSQL stopped through the REST API before it releases the key, without waiting for a cycle', async () => {
    // The members racing for the released key ask our REST API whether we still run as primary;
    // a snapshot left from the last cycle ("primary") made the candidate wait a whole loop_wait.
    const published: { role: string; state: string; owner: string | undefined }[] = [];
    let dcsRef: FakeDcs | undefined;
    const { runtime, dcs, postgres } = makeRuntime(
      (input) => ({ actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }] : input.memory.seen === 1 ? [{ type: 'demote', mode: 'graceful' }] : [] }),
      { publish: (snapshot) => published.push({ role: snapshot.role, state: snapshot.state, owner: dcsRef?.leaderOwner }) },
    );
    dcsRef = dcs;
    let started!: () => void;
    let stop!: () => void;
    postgres.stop = () =>
      new Promise<void>((resolve) => {
        stop = () => {
          postgres.local = { ...postgres.local, running: false, accepting: false };
          resolve();
        };
      });
    postgres.start = () => new Promise<void>((resolve) => (started = resolve));
    await runtime.runCycle();
    await runtime.runCycle();
    expect(published.at(-1)).toEqual({ role: 'primary', state: 'running', owner: 'node1' });
    stop();
    for (let i = 0; i < 100 && dcs.leaderOwner !== undefined; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(dcs.leaderOwner).toBeUndefined();
    // No cycle ran since PostgreSQL stopped; the view was published while the key was still ours.
    expect(published.at(-1)).toEqual({ role: 'demoted', state: 'stopped', owner: 'node1' });
    started();
  });

  it('no renewal or member-key write of a cycle lands after a demotion released the key (update re-creates an absent key)', async () => {
    const { runtime, dcs, postgres } = makeRuntime((input) => ({
      actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }] : input.memory.seen === 1 ? [{ type: 'demote', mode: 'graceful' }] : [{ type: 'update-lock', lastLsn: 0 }],
    }));
    dcs.updateRecreatesAbsentKey = true;
    postgres.stop = async () => {
      postgres.local = { ...postgres.local, running: false, accepting: false };
    };
    let started!: () => void;
    postgres.start = () => new Promise<void>((resolve) => (started = resolve));
    await runtime.runCycle();
    await runtime.runCycle();
    for (let i = 0; i < 100 && !dcs.calls.includes('deleteLeader'); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(dcs.leaderOwner).toBeUndefined();
    const released = dcs.calls.length;
    expect((await runtime.runCycle())?.running?.type).toBe('demote');
    expect(dcs.calls.slice(released)).toEqual([]);
    expect(dcs.leaderOwner).toBeUndefined();
    started();
  });

  it('LeaderKeyGate: a release waits for the cycle write in flight, and none starts until the demotion ends', async () => {
    const gate = new LeaderKeyGate();
    let finish!: () => void;
    const write = gate.cycleWrite(() => new Promise<void>((resolve) => (finish = resolve)));
    expect(write).toBeDefined();
    let released = false;
    const release = gate.beginRelease().then(() => (released = true));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(released).toBe(false);
    expect(gate.cycleWrite(async () => 1)).toBeUndefined();
    finish();
    await release;
    expect(released).toBe(true);
    gate.endRelease();
    expect(await gate.cycleWrite(async () => 1)).toBe(1);
  });

  it('publishes its state before a release-lock', async () => {
    const { runtime, dcs, postgres } = makeRuntime((input) => ({ actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }] : [{ type: 'release-lock' }] }));
    await runtime.runCycle();
    postgres.local = { ...postgres.local, running: false, accepting: false };
    await runtime.runCycle();
    const release = dcs.calls.indexOf('deleteLeader');
    expect(release).toBeGreaterThan(0);
    expect(dcs.calls[release - 1]).toBe('touchMember:stopped');
  });

  it('calls itself leader again after a demotion that failed, once the key is renewed', async () => {
    const { runtime, postgres } = makeRuntime((input) => ({
      actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }] : input.memory.seen === 1 ? [{ type: 'demote', mode: 'graceful' }] : [{ type: 'update-lock', lastLsn: 0 }],
    }));
    postgres.failOn.add('stop');
    await runtime.runCycle();
    expect((await runtime.runCycle())?.lockRenewedAtMs).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const after = await runtime.runCycle();
    expect(after?.running).toBeUndefined();
    expect(after?.lockRenewedAtMs).toBe(1000);
  });
});

describe('fresh replication positions for GET /patroni', () => {
  const replica = { ...runningPrimary, inRecovery: true, hasRecoveryConfig: true, walPosition: 1_000, receivedLsn: 1_000, replayedLsn: 900, replicationState: 'streaming' };

  it('replaces the positions of the last snapshot and publishes it, without touching role or state', async () => {
    const published: CycleSnapshot[] = [];
    const { runtime, postgres } = makeRuntime(() => ({ actions: [] }), { publish: (snapshot) => published.push(snapshot) });
    postgres.local = replica;
    await runtime.runCycle();
    postgres.local = { ...replica, walPosition: 17_000_000, receivedLsn: 17_000_000, replayedLsn: 16_999_000 };
    await runtime.refreshPositions(0);
    expect(published).toHaveLength(2);
    expect(runtime.snapshot?.local).toMatchObject({ walPosition: 17_000_000, receivedLsn: 17_000_000, replayedLsn: 16_999_000 });
    expect(runtime.snapshot?.role).toBe(published[0]?.role);
    expect(runtime.snapshot?.cycle).toBe(published[0]?.cycle);
  });

  it('leaves a promotion it observes to the next cycle', async () => {
    const { runtime, postgres } = makeRuntime(() => ({ actions: [] }));
    postgres.local = replica;
    await runtime.runCycle();
    postgres.local = { ...runningPrimary, walPosition: 5_000 };
    await runtime.refreshPositions(0);
    expect(runtime.snapshot?.local).toMatchObject({ inRecovery: true, walPosition: 1_000 });
  });

  it('shares one observation between concurrent requests', async () => {
    const { runtime, postgres } = makeRuntime(() => ({ actions: [] }));
    postgres.local = replica;
    await runtime.runCycle();
    let observations = 0;
    const observe = postgres.observe.bind(postgres);
    postgres.observe = async () => {
      observations += 1;
      return observe();
    };
    await Promise.all([runtime.refreshPositions(0), runtime.refreshPositions(0), runtime.refreshPositions(0)]);
    expect(observations).toBe(1);
  });
});
