import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPgwardenError } from '@pgwarden/core';
import { LinuxWatchdog, parseWatchdogMode, setTimeoutByIoctl } from '../../src/runtime/watchdog.js';
import { recordingLogger } from '../doubles.js';

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
    const dir = mkdtempSync(join(tmpdir(), 'pgwarden-watchdog-'));
    writeFileSync(join(dir, 'dev'), '');
    expect(watchdog('required', join(dir, 'dev'), 12).watchdog.usable).toBe(false);
  });

  it('feeds the device on keepalive and writes the magic close on disable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgwarden-watchdog-'));
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
    const dir = mkdtempSync(join(tmpdir(), 'pgwarden-watchdog-'));
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
    const dir = mkdtempSync(join(tmpdir(), 'pgwarden-watchdog-'));
    const path = join(dir, 'dev');
    writeFileSync(path, '');
    const { watchdog: device } = watchdog('required', path);
    expect(device.usable).toBe(true);
    await expect(device.activate()).rejects.toSatisfy((error: unknown) => isPgwardenError(error, 'watchdog-unusable') && /could be neither set nor read/.test((error as Error).message));
    expect(readFileSync(path, 'utf8')).toBe('V');
  });
});
