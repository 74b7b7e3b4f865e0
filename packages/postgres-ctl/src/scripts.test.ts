// pre_promote and before_stop as child processes (no PostgreSQL needed):
// refusal, cancellation, a failing or hung before_stop that never blocks the stop.
import { isPgwardenError, PRE_PROMOTE_FAILED } from '@pgwarden/core';
import { describe, expect, it } from 'vitest';
import type { Context } from './context.js';
import { runBeforeStop, runPrePromote } from './scripts.js';

interface Logged {
  readonly level: string;
  readonly message: string;
}

function contextWith(options: { pre_promote?: string; before_stop?: string }): { context: Context; logged: Logged[] } {
  const logged: Logged[] = [];
  const log = (level: string) => (_fields: unknown, message: string) => void logged.push({ level, message });
  const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const context = {
    options: { ...options, pre_promote_timeout_seconds: 3600 },
    user: { name: 'self', uid: 0, gid: 0, home: '/tmp', switchIdentity: false },
    logger,
  } as unknown as Context;
  return { context, logged };
}

describe('pre_promote', () => {
  it('exit 0 lets the promotion go on; without a script nothing runs', async () => {
    await expect(runPrePromote(contextWith({ pre_promote: '/bin/sh -c "exit 0"' }).context)).resolves.toBeUndefined();
    await expect(runPrePromote(contextWith({}).context)).resolves.toBeUndefined();
  });

  it('a non-zero exit refuses the promotion with PRE_PROMOTE_FAILED and the exit code', async () => {
    const error = await runPrePromote(contextWith({ pre_promote: '/bin/sh -c "echo fenced >&2; exit 3"' }).context).catch((caught: unknown) => caught);
    expect(isPgwardenError(error, PRE_PROMOTE_FAILED)).toBe(true);
    expect((error as Error).message).toContain('pre_promote script exited with code 3');
    expect((error as Error).message).toContain('fenced');
  });

  it('a script that cannot be started refuses the promotion too', async () => {
    const error = await runPrePromote(contextWith({ pre_promote: '/nonexistent/fence' }).context).catch((caught: unknown) => caught);
    expect(isPgwardenError(error, PRE_PROMOTE_FAILED)).toBe(true);
  });

  it('cancelled while it runs: the script is killed and the promotion is cancelled, not refused', async () => {
    const controller = new AbortController();
    const running = runPrePromote(contextWith({ pre_promote: '/bin/sleep 30' }).context, controller.signal).catch((caught: unknown) => caught);
    setTimeout(() => controller.abort(), 50);
    const error = await running;
    expect(isPgwardenError(error, 'pg-promote-cancelled')).toBe(true);
  });
});

describe('before_stop', () => {
  it('a failing script is logged and the stop goes on', async () => {
    const { context, logged } = contextWith({ before_stop: '/bin/sh -c "exit 1"' });
    await expect(runBeforeStop(context, 5_000)).resolves.toBeUndefined();
    expect(logged).toContainEqual({ level: 'warn', message: 'before_stop script failed; stopping anyway' });
  });

  it('a hung script is killed at the stop timeout and the stop goes on', async () => {
    const { context, logged } = contextWith({ before_stop: '/bin/sleep 30' });
    await expect(runBeforeStop(context, 100)).resolves.toBeUndefined();
    expect(logged).toContainEqual({ level: 'warn', message: 'before_stop script failed; stopping anyway' });
  });

  it('a hung script is ended with its children at the timeout: a child holding the output open does not hold the stop', async () => {
    const { context, logged } = contextWith({ before_stop: '/bin/sh -c "sleep 30; exit 0"' });
    const startedAt = performance.now();
    await runBeforeStop(context, 300);
    // Bounded well below the child's 30 s: before the fix this waited for `sleep` to end.
    expect(performance.now() - startedAt).toBeLessThan(10_000);
    expect(logged).toContainEqual({ level: 'warn', message: 'before_stop script failed; stopping anyway' });
  });
});
