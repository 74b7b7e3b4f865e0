/** The stop wait keeps its deadline on the monotonic clock: a wall-clock step does not cut it short. */
import { spawn } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { waitForExit } from './lifecycle.js';

describe('waitForExit', () => {
  it('waits for the process when the wall clock jumps an hour ahead (a postmaster in its fast shutdown is not escalated early)', async () => {
    const child = spawn('sleep', ['0.3'], { stdio: 'ignore' });
    const pid = child.pid!;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // the wall clock steps an hour ahead right after its first reading
    const realNow = Date.now.bind(Date);
    let readings = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + (readings++ === 0 ? 0 : 3_600_000));
    try {
      expect(await waitForExit(pid, 10_000)).toBe(true);
    } finally {
      vi.restoreAllMocks();
      child.kill('SIGKILL');
      await exited;
    }
  });
});
