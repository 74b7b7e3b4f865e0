import type { PostgresCtl, PostgresCtlEvent } from '@pgwarden/postgres-ctl';
import { describe, expect, it } from 'vitest';
import { createPostgresPort } from './postgres-port.js';

function fakeCtl(): { ctl: PostgresCtl; emit: (event: PostgresCtlEvent) => void } {
  const listeners = new Set<(event: PostgresCtlEvent) => void>();
  const ctl = {
    on(listener: (event: PostgresCtlEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as PostgresCtl;
  return { ctl, emit: (event) => listeners.forEach((listener) => listener(event)) };
}

const exit = (expected: boolean): PostgresCtlEvent => ({ type: 'postmaster-exit', pid: 42, code: 0, signal: null, via: 'child', expected });

describe('createPostgresPort onPostmasterExit', () => {
  it('reports a postmaster that exited without our asking, not the exit of our own stop', () => {
    const { ctl, emit } = fakeCtl();
    let calls = 0;
    const unsubscribe = createPostgresPort(ctl).onPostmasterExit(() => (calls += 1));
    emit(exit(true));
    expect(calls).toBe(0);
    emit(exit(false));
    expect(calls).toBe(1);
    emit({ type: 'postmaster-start', pid: 43, adopted: false });
    unsubscribe();
    emit(exit(false));
    expect(calls).toBe(1);
  });
});

describe('createPostgresPort promote', () => {
  it('hands the timelines to skip to postgres-ctl, and no such option when there are none', async () => {
    const calls: unknown[] = [];
    const ctl = { promote: (options: unknown) => (calls.push(options), Promise.resolve({ promoted: true })) } as unknown as PostgresCtl;
    const port = createPostgresPort(ctl);
    await port.promote({ waitSeconds: 10, skipTimelinesThrough: 19 });
    await port.promote({ waitSeconds: 10 });
    expect(calls).toEqual([{ skipTimelinesThrough: 19 }, {}]);
  });
});
