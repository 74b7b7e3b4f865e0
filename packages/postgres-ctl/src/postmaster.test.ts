/** killPostmasterTree reaches children that sit in process groups of their own, as PostgreSQL's do. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { childProcesses, killPostmasterTree } from './postmaster.js';

/** The state letter in /proc (Z: a zombie, dead), undefined once the process is gone. */
function state(pid: number): string | undefined {
  try {
    return /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited > 5000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('killPostmasterTree', () => {
  it('kills the process and a frozen child that left its process group (setsid), which a kill of the group misses', async () => {
    // A stand-in postmaster: its child becomes a session leader of its own, as each postmaster child does.
    const parent = spawn('sh', ['-c', 'setsid sleep 60 & exec sleep 60'], { detached: true, stdio: 'ignore' });
    const pid = parent.pid!;
    const exited = new Promise((resolve) => parent.once('exit', resolve));
    let child: number | undefined;
    try {
      await until(() => (child = childProcesses(pid).find((candidate) => readFileSync(`/proc/${candidate}/cmdline`, 'utf8').startsWith('sleep'))) !== undefined, 'the child');
      process.kill(child!, 'SIGSTOP');
      await until(() => state(child!) === 'T', 'the child to stop');
      // The group of the parent does not hold the child: a group kill would leave it.
      expect(readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1]?.split(' ')[2]).not.toBe(String(pid));

      killPostmasterTree(pid);
      await exited;
      await until(() => state(child!) === undefined || state(child!) === 'Z', 'the child to die');
    } finally {
      parent.kill('SIGKILL');
      if (child !== undefined && state(child) !== undefined) process.kill(child, 'SIGKILL');
    }
  });
});
