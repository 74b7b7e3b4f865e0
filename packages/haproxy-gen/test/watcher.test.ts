/**
 * The watcher without a running HAProxy (reload "none"): what it writes, when
 * it leaves the live file alone, and that it stops cleanly.
 */
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPgwardenError } from '@pgwarden/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '@pgwarden/testkit';
import { renderHaproxyConfig, startHaproxyWatcher, type HaproxyGenLogger, type HaproxyWatcher } from '../src/index.js';
import { member } from './support/cluster.js';
import { createMemoryDcs } from './support/memory-dcs.js';

let dir: TempDir;
let live: string;
let watcher: HaproxyWatcher | undefined;
const logged: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
const logger: HaproxyGenLogger = {
  debug: (fields, message) => logged.push({ level: 'debug', message, fields }),
  info: (fields, message) => logged.push({ level: 'info', message, fields }),
  warn: (fields, message) => logged.push({ level: 'warn', message, fields }),
  error: (fields, message) => logged.push({ level: 'error', message, fields }),
};

beforeEach(() => {
  dir = makeTempDir('haproxy-gen-watcher');
  live = join(dir.path, 'haproxy.cfg');
  logged.length = 0;
});
afterEach(async () => {
  await watcher?.stop();
  watcher = undefined;
  dir.remove();
});

async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const one = [member('node1', '127.0.0.1')];
const two = [member('node1', '127.0.0.1'), member('node2', '127.0.0.2')];

describe('startHaproxyWatcher', () => {
  it('refuses invalid options at once, before reading the DCS or writing anything', () => {
    const dcs = createMemoryDcs(one);
    let code = '';
    try {
      startHaproxyWatcher({ dcs: dcs.dcs, haproxy: { primary: { port: 0 } }, install: { path: live, reload: { method: 'none' } } });
    } catch (error) {
      if (isPgwardenError(error)) code = error.code;
    }
    expect(code).toBe('haproxy-invalid-options');
    expect(dcs.reads()).toBe(0);
    expect(existsSync(live)).toBe(false);
  });

  it('writes the configuration, rewrites it when a member comes, and not when nothing changed', async () => {
    const dcs = createMemoryDcs(one);
    watcher = startHaproxyWatcher({ dcs: dcs.dcs, haproxy: {}, install: { path: live, reload: { method: 'none' } }, logger, pollIntervalMs: 50 });
    await eventually(() => watcher!.status().installs === 1);
    expect(readFileSync(live, 'utf8')).toBe(renderHaproxyConfig({ members: one, lastLsn: 0 }));
    const readsBefore = dcs.reads();
    await eventually(() => dcs.reads() >= readsBefore + 3);
    expect(watcher.status().installs).toBe(1);

    dcs.setMembers(two);
    await eventually(() => watcher!.status().installs === 2);
    expect(readFileSync(live, 'utf8')).toContain('server node2 127.0.0.2:5432');
  });

  it('keeps the installed configuration while the DCS cannot be read', async () => {
    const dcs = createMemoryDcs(two);
    watcher = startHaproxyWatcher({ dcs: dcs.dcs, haproxy: {}, install: { path: live, reload: { method: 'none' } }, logger, pollIntervalMs: 50 });
    await eventually(() => watcher!.status().installs === 1);
    const before = readFileSync(live, 'utf8');
    dcs.setUnreachable(true);
    await eventually(() => logged.some((entry) => entry.level === 'warn' && /cannot read the cluster/.test(entry.message)));
    expect(readFileSync(live, 'utf8')).toBe(before);
  });

  it('does not install a render HAProxy refuses, reports it once, and keeps the live file', async () => {
    writeFileSync(live, 'the live file\n');
    const dcs = createMemoryDcs(one);
    watcher = startHaproxyWatcher({
      dcs: dcs.dcs,
      haproxy: { extraGlobal: ['no-such-keyword 1'] },
      install: { path: live, reload: { method: 'none' } },
      logger,
      pollIntervalMs: 50,
    });
    await eventually(() => watcher!.status().lastError !== undefined);
    const readsBefore = dcs.reads();
    await eventually(() => dcs.reads() >= readsBefore + 3);
    expect(watcher.status().lastError?.code).toBe('haproxy-config-rejected');
    expect(readFileSync(live, 'utf8')).toBe('the live file\n');
    expect(logged.filter((entry) => entry.message === 'HAProxy configuration not updated')).toHaveLength(1);
  });

  it('stops promptly even while waiting on a long DCS watch', async () => {
    const dcs = createMemoryDcs(one);
    watcher = startHaproxyWatcher({ dcs: dcs.dcs, haproxy: {}, install: { path: live, reload: { method: 'none' } }, pollIntervalMs: 60_000 });
    await eventually(() => watcher!.status().installs === 1);
    const started = Date.now();
    await watcher.stop();
    watcher = undefined;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
