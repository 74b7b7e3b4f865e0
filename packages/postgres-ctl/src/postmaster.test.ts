/** killPostmasterTree reaches children that sit in process groups of their own, as PostgreSQL's do. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { processState, waitUntil } from '@pgwarden/testkit';
import { describe, expect, it } from 'vitest';
import { childProcesses, killPostmasterTree } from './postmaster.js';

describe('killPostmasterTree', () => {
  it('kills the process and a frozen child that left its process group (setsid), which a kill of the group misses', async () => {
    // A stand-in postmaster: its child becomes a session leader of its own, as each postmaster child does.
    const parent = spawn('sh', ['-c', 'setsid sleep 60 & exec sleep 60'], { detached: true, stdio: 'ignore' });
    const pid = parent.pid!;
    const exited = new Promise((resolve) => parent.once('exit', resolve));
    let child: number | undefined;
    try {
      child = await waitUntil(() => childProcesses(pid).find((candidate) => readFileSync(`/proc/${candidate}/cmdline`, 'utf8').startsWith('sleep')), { timeoutMs: 5000, intervalMs: 10, what: 'the child' });
      process.kill(child, 'SIGSTOP');
      await waitUntil(() => processState(child!) === 'T', { timeoutMs: 5000, intervalMs: 10, what: 'the child to stop' });
      // The group of the parent does not hold the child: a group kill would leave it.
      expect(readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1]?.split(' ')[2]).not.toBe(String(pid));

      killPostmasterTree(pid);
      await exited;
      await waitUntil(() => processState(child!) === undefined || processState(child!) === 'Z', { timeoutMs: 5000, intervalMs: 10, what: 'the child to die' });
    } finally {
      parent.kill('SIGKILL');
      if (child !== undefined && processState(child) !== undefined) process.kill(child, 'SIGKILL');
    }
  });
});
