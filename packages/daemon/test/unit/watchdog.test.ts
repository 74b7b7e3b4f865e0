import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isPgwardenError } from '@pgwarden/core';
import { LinuxWatchdog, parseWatchdogMode, setTimeoutByIoctl } from '../../src/runtime/watchdog.js';
import { recordingLogger } from '../doubles.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
/** A fresh directory for a stand-in device file, removed after the test. */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-watchdog-'));
  dirs.push(dir);
  return dir;
}

function watchdog(mode: 'automatic' | 'required', device: string, ttl = 30) {
  const logger = recordingLogger();
  return { logger, watchdog: new LinuxWatchdog({ mode, device, ttlSeconds: () => ttl, loopWaitSeconds: () => 10, logger }) };
}

describe('parseWatchdogMode', () => {
  it("reads Patroni's spellings", () => {
    expect(parseWatchdogMode(false)).toBe('off');
    expect(parseWatchdogMode('disabled')).toBe('off');
    expect(parseWatchdogMode('require')).toBe('required');
    expect(parseWatchdogMode('auto')).toBe('automatic');
    expect(parseWatchdogMode(undefined)).toBe('automatic');
  });
});

describe('LinuxWatchdog', () => {
  it('required without a usable device: not usable (no lock) and activation fails with a reason', async () => {
    const { watchdog: device } = watchdog('required', '/nonexistent/watchdog');
    expect(device.usable).toBe(false);
    await expect(device.activate()).rejects.toSatisfy((error: unknown) => isPgwardenError(error, 'watchdog-unusable'));
  });

  it('automatic without a device only warns', async () => {
    const { watchdog: device, logger } = watchdog('automatic', '/nonexistent/watchdog');
    expect(device.usable).toBe(true);
    await device.activate();
    expect(logger.lines.some((line) => line.level === 'warn' && line.message === 'watchdog not used')).toBe(true);
  });

  it('automatic without a device warns once, not every cycle a primary asks for it; again when the problem changes', async () => {
    let ttl = 30;
    const logger = recordingLogger();
    const device = new LinuxWatchdog({ mode: 'automatic', device: '/nonexistent/watchdog', ttlSeconds: () => ttl, loopWaitSeconds: () => 10, logger });
    for (let cycle = 0; cycle < 5; cycle++) await device.activate();
    const warnings = (): string[] => logger.lines.filter((line) => line.message === 'watchdog not used').map((line) => String(line.fields?.problem));
    expect(warnings()).toEqual(['watchdog device /nonexistent/watchdog is not writable']);
    ttl = 12; // ttl - safety_margin (5 s) below loop_wait: another problem, worth a line
    for (let cycle = 0; cycle < 3; cycle++) await device.activate();
    expect(warnings()).toEqual(['watchdog device /nonexistent/watchdog is not writable', 'watchdog timeout 7s is shorter than loop_wait']);
  });

  it('asks for ttl - safety_margin as Patroni does, the margin capped at ttl/2 as the lock validity caps it (fast profile)', () => {
    const timeout = (ttl: number, safetyMarginSeconds?: number) =>
      new LinuxWatchdog({ mode: 'automatic', device: '/nonexistent', ttlSeconds: () => ttl, loopWaitSeconds: () => 1, logger: recordingLogger(), ...(safetyMarginSeconds === undefined ? {} : { safetyMarginSeconds }) }).desiredTimeoutSeconds();
    expect(timeout(30)).toBe(25);
    expect(timeout(20, 5)).toBe(15);
    expect(timeout(31, -1)).toBe(15);
    // ttl 5 with the default margin: the lock is ours for 2.5 s, so the device fires after 2 s, not at once.
    expect(timeout(5)).toBe(2);
  });

  it('required with ttl - safety_margin shorter than loop_wait is not usable', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'dev'), '');
    expect(watchdog('required', join(dir, 'dev'), 12).watchdog.usable).toBe(false);
  });

  it('feeds the device on keepalive and writes the magic close on disable', async () => {
    const dir = tempDir();
    const path = join(dir, 'dev');
    writeFileSync(path, '');
    const { watchdog: device } = watchdog('automatic', path);
    expect(device.usable).toBe(true);
    await device.activate();
    await device.keepalive();
    await device.disable();
    expect(readFileSync(path, 'utf8')).toBe('11V');
  });

  it('sets the timeout with WDIOC_SETTIMEOUT through perl; a file that refuses the ioctl says so', async () => {
    const dir = tempDir();
    const path = join(dir, 'dev');
    writeFileSync(path, '');
    const fd = openSync(path, 'w');
    try {
      const result = await setTimeoutByIoctl(fd, 25);
      expect(result).toEqual({ ok: false, reason: expect.stringMatching(/^WDIOC_SETTIMEOUT: Inappropriate ioctl for device/) });
      expect(await setTimeoutByIoctl(fd, 25, '/nonexistent/perl')).toEqual({ ok: false, reason: expect.stringMatching(/could not run/) });
    } finally {
      closeSync(fd);
    }
  });

  it('required: a device whose timeout can be neither set nor read is refused on activation, and closed with the magic character', async () => {
    const dir = tempDir();
    const path = join(dir, 'dev');
    writeFileSync(path, '');
    const { watchdog: device } = watchdog('required', path);
    expect(device.usable).toBe(true);
    await expect(device.activate()).rejects.toSatisfy((error: unknown) => isPgwardenError(error, 'watchdog-unusable') && /could be neither set nor read/.test((error as Error).message));
    expect(readFileSync(path, 'utf8')).toBe('V');
  });

  it('required: a refused activation keeps the member unusable (watchdog_failed, no race) until the timeout it needs changes', async () => {
    const dir = tempDir();
    const path = join(dir, 'dev');
    writeFileSync(path, '');
    let ttl = 30;
    const device = new LinuxWatchdog({ mode: 'required', device: path, ttlSeconds: () => ttl, loopWaitSeconds: () => 10, logger: recordingLogger() });
    await expect(device.activate()).rejects.toThrow(/could be neither set nor read/);
    expect(device.usable).toBe(false);
    expect(device.problem()).toMatch(/could be neither set nor read.*ttl - safety_margin = 25s/);
    // A new ttl asks the device for another timeout: one more try.
    ttl = 40;
    expect(device.usable).toBe(true);
    await expect(device.activate()).rejects.toThrow(/= 35s/);
    expect(device.usable).toBe(false);
  });

  it('automatic: a device whose timeout can be neither set nor read is used as it is, and the member stays usable', async () => {
    const dir = tempDir();
    const path = join(dir, 'dev');
    writeFileSync(path, '');
    const { watchdog: device, logger } = watchdog('automatic', path);
    await device.activate();
    await device.disable();
    expect(device.usable).toBe(true);
    expect(logger.lines.some((line) => line.message === 'watchdog activated')).toBe(true);
  });
});
