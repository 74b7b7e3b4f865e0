import { describe, expect, it } from 'vitest';
import { waitUntil } from './cluster-wait.js';

describe('waitUntil', () => {
  it('returns the first value that is neither undefined nor false', async () => {
    let calls = 0;
    await expect(waitUntil(() => (++calls >= 3 ? calls : false), { intervalMs: 1 })).resolves.toBe(3);
  });

  it('describes a failed wait with what was awaited as of the failure, and the last error', async () => {
    let log = 'started';
    const wait = waitUntil(
      () => {
        log = 'the agent said: no leader';
        throw new Error('connection refused');
      },
      { timeoutMs: 20, intervalMs: 5, what: () => `a leader\n${log}` },
    );
    await expect(wait).rejects.toThrow(/timed out after 20 ms waiting for a leader\nthe agent said: no leader: last error: connection refused/);
  });

  it('takes a plain string as well', async () => {
    await expect(waitUntil(() => undefined, { timeoutMs: 5, intervalMs: 1, what: 'nothing' })).rejects.toThrow(/waiting for nothing$/);
  });
});
