/**
 * Each clause of core's runtime protocol (packages/core/README.md), tested on
 * AgentRuntime itself with a clock the test drives: the clauses that keep a
 * primary that cannot renew its lock from outliving the lock.
 */
import type { Action, DecideInput, DecideResult, LockOutcome } from '@pgwarden/core';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRuntime } from '../../src/runtime/agent-runtime.js';
import type { RuntimeOptions } from '../../src/runtime/runtime-types.js';
import { FakeDcs, FakePostgres, RecordingCallbacks, recordingLogger, testSettings, TestClock, unreachablePeers, usableWatchdog } from '../doubles.js';

interface Memory {
  readonly seen: number;
}

type Step = { actions?: Action[]; wakeUpAtMs?: number };
type Script = (input: DecideInput<Memory>) => Step;

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** Let every promise that can settle settle (the clock does not move). */
async function settle(): Promise<void> {
  for (let index = 0; index < 20; index++) await new Promise((resolve) => setImmediate(resolve));
}

const runs: Array<{ runtime: AgentRuntime<Memory>; done: Promise<number> }> = [];

afterEach(async () => {
  for (const { runtime } of runs) runtime.stop();
  runs.length = 0;
});

function harness(script: Script, overrides: Partial<RuntimeOptions<Memory>> = {}) {
  const clock = new TestClock();
  const dcs = new FakeDcs('node1', () => clock.nowMs());
  const postgres = new FakePostgres();
  const logger = recordingLogger();
  const inputs: DecideInput<Memory>[] = [];
  const decide = (input: DecideInput<Memory>): DecideResult<Memory> => {
    inputs.push(input);
    const step = script(input);
    return {
      actions: step.actions ?? [],
      message: 'scripted',
      ruleId: 'test',
      memory: { ...input.memory, seen: input.memory.seen + 1 },
      ...(step.wakeUpAtMs === undefined ? {} : { wakeUpAtMs: step.wakeUpAtMs }),
    };
  };
  const runtime = new AgentRuntime<Memory>({
    self: { name: 'node1', apiUrl: 'http://127.0.0.1:8008/patroni', connUrl: 'postgres://127.0.0.1:5432/postgres', tags: {} },
    dcs,
    postgres,
    peers: unreachablePeers,
    callbacks: new RecordingCallbacks(),
    watchdog: usableWatchdog,
    logger,
    decide,
    initialMemory: { seen: 0 },
    settings: () => testSettings,
    clock,
    ...overrides,
  });
  const start = (): Promise<number> => {
    const done = runtime.run();
    runs.push({ runtime, done });
    return done;
  };
  return { runtime, clock, dcs, postgres, logger, inputs, start };
}

describe('the runtime protocol (ttl 30, loop_wait 10, retry_timeout 10, safety margin 5)', () => {
  it('starts the next cycle at wakeUpAtMs when that comes before loop_wait', async () => {
    const { clock, inputs, start } = harness((input) => (input.memory.seen === 0 ? { wakeUpAtMs: input.nowMs + 3000 } : {}));
    void start();
    await settle();
    expect(inputs).toHaveLength(1);
    clock.advance(2999);
    await settle();
    expect(inputs).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(inputs).toHaveLength(2);
    expect(inputs[1]?.nowMs).toBe(4000);
  });

  it('starts a new cycle at once after a failed action, but not a second time in a row', async () => {
    const { clock, postgres, inputs, start } = harness(() => ({ actions: [{ type: 'reload' }] }));
    postgres.failOn.add('reload');
    void start();
    await settle();
    expect(inputs).toHaveLength(2);
    expect(inputs[1]?.lastFailure?.action.type).toBe('reload');
    clock.advance(9_999);
    await settle();
    expect(inputs).toHaveLength(2);
    clock.advance(1); // the cadence: fails again, and that failure is retried at once again
    await settle();
    expect(inputs).toHaveLength(4);
  });

  it('reads nowMs from its monotonic clock when deciding, after a slow DCS read, never from the wall clock', async () => {
    const { runtime, clock, dcs, inputs } = harness(() => ({}));
    const read = dcs.getCluster.bind(dcs);
    dcs.getCluster = async () => {
      clock.advance(2500);
      return read();
    };
    await runtime.runCycle();
    expect(inputs[0]?.nowMs).toBe(3500);
    expect(inputs[0]?.wallNowMs).toBe(clock.wallMs());
  });

  it('bounds a renewal that hangs by retry_timeout, and reports it unreachable (never lost)', async () => {
    const script = ['acquire-lock', 'update-lock'] as const;
    const { runtime, clock, dcs, inputs } = harness((input) => {
      const type = script[input.memory.seen];
      return { actions: type === undefined ? [] : [{ type }] };
    });
    await runtime.runCycle(); // renewed at 1000: valid until 1000 + 30 000 − 5 000
    clock.advance(10_000);
    dcs.updateLeader = (): Promise<LockOutcome> => never();
    let finished = false;
    const cycle = runtime.runCycle().then(() => (finished = true));
    await settle();
    clock.advance(9_999);
    await settle();
    expect(finished).toBe(false);
    clock.advance(1);
    await cycle;
    await runtime.runCycle();
    expect(inputs[2]?.lastFailure).toMatchObject({ kind: 'unreachable', action: { type: 'update-lock' } });
  });

  it('does not promote when the action list resumes after the validity ran out (a frozen agent), and promotes in time', async () => {
    for (const frozenMs of [26_000, 1_000]) {
      const { runtime, clock, postgres, inputs } = harness((input) => ({
        actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }, { type: 'rewind', source: { name: 'node2', host: '127.0.0.1', port: 5433 } }, { type: 'promote' }] : [],
      }));
      let thaw!: () => void;
      postgres.rewind = () => new Promise<void>((resolve) => (thaw = resolve));
      await runtime.runCycle();
      clock.advance(frozenMs); // the agent stopped between taking the lock and promoting
      thaw();
      await settle();
      await runtime.runCycle();
      if (frozenMs > 25_000) {
        expect(postgres.calls).not.toContain('promote');
        // The background job reports under its first action, with the step that failed in its message.
        expect(inputs[1]?.lastActionResult).toMatchObject({ ok: false, message: expect.stringMatching(/^promote: not started, the leader lock is not ours/) });
      } else {
        expect(postgres.calls).toContain('promote');
        expect(inputs[1]?.lastActionResult).toMatchObject({ ok: true });
      }
    }
  });

  it('does not take the key on a race decided on a snapshot read a ttl ago (frozen between reading the DCS and acting), and takes it a moment earlier', async () => {
    for (const frozenMs of [30_000, 29_000]) {
      const { runtime, clock, dcs, postgres, inputs } = harness((input) => {
        if (input.memory.seen === 0) clock.advance(frozenMs); // stopped after the read, before the key was taken
        return { actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }, { type: 'promote' }] : [] };
      });
      await runtime.runCycle();
      await settle();
      await runtime.runCycle();
      if (frozenMs >= 30_000) {
        expect(dcs.calls).not.toContain('acquireLeader');
        expect(dcs.leaderOwner).toBeUndefined();
        expect(postgres.calls).not.toContain('promote');
        expect(inputs[1]?.lastFailure).toMatchObject({ action: { type: 'acquire-lock' }, message: expect.stringMatching(/read 30000 ms ago \(ttl 30000 ms\)/) });
      } else {
        expect(dcs.leaderOwner).toBe('node1');
        expect(postgres.calls).toContain('promote');
      }
    }
  });

  it('does not start PostgreSQL as a primary once the validity ran out, until the DCS confirms the lock again', async () => {
    const { runtime, clock, postgres, inputs } = harness((input) => ({
      actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }] : input.memory.seen === 1 ? [{ type: 'start', asPrimary: true }] : input.memory.seen === 2 ? [{ type: 'acquire-lock' }, { type: 'start', asPrimary: true }] : [],
    }));
    await runtime.runCycle();
    clock.advance(26_000);
    await settle();
    await runtime.runCycle(); // decided on the lapsed lock: the start is refused
    await settle();
    expect(postgres.calls).not.toContain('start');
    await runtime.runCycle(); // the lapse is remembered after the lock is forgotten; a new confirmation lifts it
    await settle();
    expect(inputs[2]?.lastActionResult).toMatchObject({ type: 'start', ok: false });
    expect(postgres.calls).toContain('start');
  });

  it('sends no request at all once the validity has run out, and the next decision sees the DCS unreachable', async () => {
    const { runtime, clock, dcs, inputs } = harness((input) => ({ actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }] : [] }));
    await runtime.runCycle();
    clock.advance(26_000);
    const reads: string[] = [];
    const read = dcs.getCluster.bind(dcs);
    dcs.getCluster = async () => {
      reads.push('read');
      return read();
    };
    await runtime.runCycle();
    expect(reads).toEqual([]);
    expect(inputs[1]?.cluster).toMatchObject({ ok: false, message: expect.stringMatching(/validity/) });
    // That decision was the expired lock's last: the next cycle reads the DCS again, and is not told of a lock.
    await runtime.runCycle();
    expect(reads).toEqual(['read']);
    expect(inputs[2]?.cluster.ok).toBe(true);
    expect(inputs[2]?.lockRenewedAtMs).toBeUndefined();
  });

  it('abandons a cycle stuck on PostgreSQL when the validity ends, and decides within half the safety margin on the last observation', async () => {
    const { clock, postgres, inputs, logger, start } = harness((input) => ({ actions: input.memory.seen === 0 ? [{ type: 'acquire-lock' }] : [] }));
    void start();
    await settle();
    expect(inputs).toHaveLength(1);
    postgres.observe = () => never();
    clock.advance(10_000); // cycle 2 hangs in observe... until retry_timeout, then decides on the last observation
    await settle();
    postgres.checkpoint = () => never(); // and the next one hangs in an action
    clock.advance(15_000); // 26 000: validity over; the observation gets half the safety margin, no more
    await settle();
    expect(inputs.filter((input) => input.nowMs >= 26_000)).toHaveLength(0);
    clock.advance(2_500);
    await settle();
    const after = inputs.filter((input) => input.nowMs >= 26_000);
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(after[0]?.cluster.ok).toBe(false);
    expect(after[0]?.local.running).toBe(true);
    expect(logger.lines.some((line) => line.message.includes('not renewed within its validity'))).toBe(true);
  });

  it('lets a demotion preempt a background action instead of waiting behind it', async () => {
    const script: Script = (input) => ({ actions: input.memory.seen === 0 ? [{ type: 'restart' }] : input.memory.seen === 1 ? [{ type: 'demote', mode: 'offline' }] : [] });
    const { runtime, clock, postgres, start } = harness(script);
    postgres.restart = () => {
      postgres.calls.push('restart');
      return never();
    };
    void start();
    await settle();
    clock.advance(10_000);
    await settle();
    expect(postgres.calls).not.toContain('stop');
    clock.advance(2_500); // the grace: half the safety margin
    await settle();
    expect(postgres.calls).toEqual(['restart', 'stop', 'start']);
    expect(runtime.running).toBeUndefined();
  });

  it('takes a second demotion while one runs as in progress, not as a failed action', async () => {
    const { runtime, postgres, inputs } = harness(() => ({ actions: [{ type: 'demote', mode: 'offline' }] }));
    postgres.stop = () => {
      postgres.calls.push('stop');
      return never();
    };
    await runtime.runCycle();
    await runtime.runCycle();
    await runtime.runCycle();
    expect(postgres.calls).toEqual(['stop']);
    expect(inputs[2]?.lastFailure).toBeUndefined();
    expect(runtime.running?.type).toBe('demote');
  });

  it('cancels background work at shutdown and waits for it: a cancelled clone starts no postmaster', async () => {
    const { runtime, postgres, start, logger, clock } = harness((input) => ({ actions: input.memory.seen === 0 ? [{ type: 'create-replica' }] : [] }));
    let finishClone!: () => void;
    const signals: Array<AbortSignal | undefined> = [];
    postgres.createReplica = async (_source, options) => {
      signals.push(options?.signal);
      await new Promise<void>((resolve) => (finishClone = resolve));
      options?.signal?.throwIfAborted();
      postgres.calls.push('start after clone');
    };
    const done = start();
    await settle();
    runtime.stop();
    await settle();
    expect(signals[0]?.aborted).toBe(true);
    expect(postgres.calls).not.toContain('stop');
    clock.advance(5_000); // cancelled work gets its grace whatever primary_stop_timeout says (0 here)
    await settle();
    expect(postgres.calls).not.toContain('stop');
    expect(logger.lines.some((line) => line.message === 'background action still running at shutdown')).toBe(false);
    finishClone();
    expect(await done).toBe(0);
    expect(logger.lines.some((line) => line.message === 'background action ended before shutdown')).toBe(true);
    expect(postgres.calls).not.toContain('start after clone');
    expect(postgres.calls).toContain('stop');
  });
});
