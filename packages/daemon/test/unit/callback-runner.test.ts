import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CallbackRunner, splitCommand } from '../../src/runtime/callback-runner.js';
import { recordingLogger } from '../doubles.js';

const scriptDirs: string[] = [];
afterAll(() => {
  for (const dir of scriptDirs) rmSync(dir, { recursive: true, force: true });
});

function script(body: string): { path: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-callback-'));
  scriptDirs.push(dir);
  const path = join(dir, 'hook.sh');
  const log = join(dir, 'calls.log');
  writeFileSync(path, `#!/bin/sh\n${body.replaceAll('LOG', log)}\n`);
  chmodSync(path, 0o755);
  return { path, log };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('splitCommand', () => {
  it('splits words and keeps quoted spaces like a shell', () => {
    expect(splitCommand(`/bin/hook --name "a b" 'c d' e\\ f`)).toEqual(['/bin/hook', '--name', 'a b', 'c d', 'e f']);
  });
});

describe('CallbackRunner', () => {
  it('runs the command with action, role and scope as Patroni does', async () => {
    const { path, log } = script('echo "$@" >> LOG');
    const runner = new CallbackRunner({ callbacks: { on_role_change: `${path} --flag` }, scope: 'demo', logger: recordingLogger() });
    runner.run('on_role_change', 'primary');
    await until(() => {
      try {
        return readFileSync(log, 'utf8').includes('primary');
      } catch {
        return false;
      }
    });
    expect(readFileSync(log, 'utf8')).toBe('--flag on_role_change primary demo\n');
  });

  it('passes "master" for a primary, and other roles unchanged, under the Patroni 3.x spelling', async () => {
    const { path, log } = script('echo "$@" >> LOG');
    const runner = new CallbackRunner({ callbacks: { on_role_change: path }, scope: 'demo', logger: recordingLogger(), mode: 'queue', primaryRole: 'master' });
    runner.run('on_role_change', 'primary');
    runner.run('on_role_change', 'replica');
    await until(() => {
      try {
        return readFileSync(log, 'utf8').split('\n').length > 2;
      } catch {
        return false;
      }
    });
    expect(readFileSync(log, 'utf8')).toBe('on_role_change master demo\non_role_change replica demo\n');
    await runner.close(200);
  });

  it('kills a superseded callback but says so at warn level', async () => {
    const { path } = script('sleep 30');
    const logger = recordingLogger();
    const runner = new CallbackRunner({ callbacks: { on_role_change: path }, scope: 'demo', logger });
    runner.run('on_role_change', 'replica');
    await new Promise((resolve) => setTimeout(resolve, 100));
    runner.run('on_role_change', 'primary');
    const warning = logger.lines.find((line) => line.message.includes('supersedes'));
    expect(warning?.level).toBe('warn');
    expect(warning?.fields['callback']).toBe('on_role_change replica');
    runner.run('on_role_change', 'replica');
    await runner.close(200);
  });

  it('in queue mode runs every callback to the end, in order', async () => {
    const { path, log } = script('sleep 0.2; echo "$2" >> LOG');
    const runner = new CallbackRunner({ callbacks: { on_role_change: path }, scope: 'demo', logger: recordingLogger(), mode: 'queue' });
    runner.run('on_role_change', 'replica');
    runner.run('on_role_change', 'primary');
    await runner.close(5000);
    expect(readFileSync(log, 'utf8')).toBe('replica\nprimary\n');
  });
});
