import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dataDirectoryLockPath, lockDataDirectory } from '../../src/data-directory-lock.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

function tempDataDirectory(): string {
  const parent = mkdtempSync(join(tmpdir(), 'pgwarden-lock-'));
  cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
  return join(parent, 'data');
}

/** A live process whose command line says pgwarden, as a second agent's would. */
function fakeAgent(): ChildProcess {
  const child = spawn('bash', ['-c', 'exec -a pgwarden-agent sleep 30'], { stdio: 'ignore' });
  cleanups.push(() => child.kill('SIGKILL'));
  return child;
}

describe('one agent per data directory', () => {
  it('takes the lock beside the data directory and releases it', () => {
    const dataDirectory = tempDataDirectory();
    const lock = lockDataDirectory(dataDirectory);
    expect(lock.path).toBe(dataDirectoryLockPath(dataDirectory));
    expect(readFileSync(lock.path, 'utf8').trim()).toBe(String(process.pid));
    expect(existsSync(dataDirectory)).toBe(false);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it('refuses to start, in one line naming the PID and the lock file, while another agent holds it', async () => {
    const dataDirectory = tempDataDirectory();
    const other = fakeAgent();
    await new Promise((resolve) => setTimeout(resolve, 100));
    lockDataDirectory(dataDirectory).release();
    writeFileSync(dataDirectoryLockPath(dataDirectory), `${other.pid}\n`);
    expect(() => lockDataDirectory(dataDirectory)).toThrow(new RegExp(`^Can't start: the data directory ${dataDirectory} is already managed by the pgwarden agent with PID ${other.pid} \\(lock file .*\\)$`));
  });

  it('takes over a lock left by an agent that is gone, or by a PID now used by another program', () => {
    const dataDirectory = tempDataDirectory();
    lockDataDirectory(dataDirectory).release();
    writeFileSync(dataDirectoryLockPath(dataDirectory), '999999999\n');
    const lock = lockDataDirectory(dataDirectory);
    expect(readFileSync(lock.path, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
    const unrelated = spawn('sleep', ['30'], { stdio: 'ignore' });
    cleanups.push(() => unrelated.kill('SIGKILL'));
    writeFileSync(dataDirectoryLockPath(dataDirectory), `${unrelated.pid}\n`);
    expect(lockDataDirectory(dataDirectory).path).toBe(dataDirectoryLockPath(dataDirectory));
  });
});
