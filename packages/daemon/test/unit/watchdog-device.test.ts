/**
 * LinuxWatchdog against a device the kernel serves (testkit's FUSE
 * emulation; this machine has no /dev/watchdog): the ioctls really reach a
 * driver, which can refuse a timeout, keep one of its own, or be held by
 * another process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isPgwardenError } from '@pgwarden/core';
import { canEmulateWatchdog, startEmulatedWatchdog, type EmulatedWatchdog, type WatchdogDeviceOptions } from '@pgwarden/testkit';
import { ConfiguredWatchdog, LinuxWatchdog, noWatchdog, type WatchdogSection } from '../../src/runtime/watchdog.js';
import { recordingLogger } from '../doubles.js';

const started: EmulatedWatchdog[] = [];
afterEach(async () => {
  while (started.length > 0) await started.pop()?.stop();
});

async function device(options: WatchdogDeviceOptions = {}): Promise<EmulatedWatchdog> {
  const emulated = await startEmulatedWatchdog(options);
  started.push(emulated);
  return emulated;
}

function agentWatchdog(mode: 'automatic' | 'required', path: string, timings: { ttl?: number; loopWait?: number } = {}) {
  const logger = recordingLogger();
  const watchdog = new LinuxWatchdog({ mode, device: path, ttlSeconds: () => timings.ttl ?? 30, loopWaitSeconds: () => timings.loopWait ?? 10, logger });
  return { watchdog, logger };
}

const kinds = (emulated: EmulatedWatchdog) => emulated.events.map((event) => event.kind);
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 100));

describe.skipIf(!canEmulateWatchdog())('LinuxWatchdog on an emulated device', () => {
  it('sets ttl - safety_margin with WDIOC_SETTIMEOUT, reads it back, feeds on keepalive and closes with the magic character', async () => {
    const emulated = await device();
    const { watchdog, logger } = agentWatchdog('required', emulated.path);
    await watchdog.activate();
    await watchdog.keepalive();
    await watchdog.disable();
    await settle();
    expect(kinds(emulated)).toEqual(['open', 'set-timeout', 'get-timeout', 'keepalive', 'keepalive', 'expect-close', 'magic-close']);
    expect(emulated.events.find((event) => event.kind === 'set-timeout')?.timeoutSeconds).toBe(25);
    expect(logger.lines.find((line) => line.message === 'watchdog activated')?.fields).toMatchObject({ timeoutSeconds: 25, set: true });
  });

  it('required: a driver whose range does not reach the timeout is refused, the device closed with the magic character', async () => {
    const emulated = await device({ minTimeoutSeconds: 60 });
    const { watchdog } = agentWatchdog('required', emulated.path);
    await expect(watchdog.activate()).rejects.toSatisfy((error: unknown) => isPgwardenError(error, 'watchdog-unusable') && /Invalid argument/.test((error as Error).message));
    await settle();
    expect(kinds(emulated)).toEqual(['open', 'set-timeout-refused', 'expect-close', 'magic-close']);
    expect(watchdog.usable).toBe(false);
  });

  it('a driver that keeps a longer timeout of its own: refused when required, used with a warning when automatic (as Patroni)', async () => {
    const fixed = await device({ fixedTimeoutSeconds: 40 });
    const required = agentWatchdog('required', fixed.path);
    await expect(required.watchdog.activate()).rejects.toThrow(/device timeout 40s is longer than ttl - safety_margin = 25s/);
    const automatic = agentWatchdog('automatic', fixed.path);
    await automatic.watchdog.activate();
    expect(automatic.logger.lines.some((line) => line.level === 'warn' && /longer than ttl - safety_margin/.test(String(line.fields?.['problem'])))).toBe(true);
    expect(automatic.logger.lines.some((line) => line.message === 'watchdog activated')).toBe(true);
    await automatic.watchdog.disable();
  });

  it('a driver that keeps a timeout shorter than loop_wait is refused in both modes: it would reset a healthy machine', async () => {
    const fixed = await device({ fixedTimeoutSeconds: 1 });
    for (const mode of ['automatic', 'required'] as const) {
      const { watchdog, logger } = agentWatchdog(mode, fixed.path, { ttl: 30, loopWait: 2 });
      if (mode === 'required') await expect(watchdog.activate()).rejects.toThrow(/1s is shorter than loop_wait 2s/);
      else {
        await watchdog.activate();
        await watchdog.activate(); // not opened again, nor warned about again, for the same timings
        expect(logger.lines.filter((line) => line.message === 'watchdog not used')).toHaveLength(1);
      }
      expect(logger.lines.some((line) => line.message === 'watchdog activated')).toBe(false);
    }
    await settle();
    expect(kinds(fixed).filter((kind) => kind === 'open').length).toBe(2);
    expect(kinds(fixed).filter((kind) => kind === 'magic-close').length).toBe(2);
  });

  it('a device another process holds (EBUSY) cannot be activated', async () => {
    const emulated = await device();
    const first = agentWatchdog('required', emulated.path);
    await first.watchdog.activate();
    const second = agentWatchdog('required', emulated.path);
    await expect(second.watchdog.activate()).rejects.toThrow(/EBUSY/);
    await first.watchdog.disable();
    await settle();
    expect(kinds(emulated)).toContain('busy');
    expect(kinds(emulated).at(-1)).toBe('magic-close');
  });

  it('an armed device is set again when ttl changes (30 → 5 s: 25 s, then 2 s), once', async () => {
    const emulated = await device();
    let ttl = 30;
    let loopWait = 10;
    const logger = recordingLogger();
    const watchdog = new LinuxWatchdog({ mode: 'required', device: emulated.path, ttlSeconds: () => ttl, loopWaitSeconds: () => loopWait, logger });
    await watchdog.activate();
    await watchdog.activate();
    ttl = 5;
    loopWait = 1;
    await watchdog.activate();
    await watchdog.activate();
    await watchdog.disable();
    await settle();
    expect(emulated.events.filter((event) => event.kind === 'set-timeout').map((event) => event.timeoutSeconds)).toEqual([25, 2]);
    expect(kinds(emulated).filter((kind) => kind === 'open')).toHaveLength(1);
    expect(logger.lines.some((line) => line.message === 'watchdog timeout changed' && line.fields?.['timeoutSeconds'] === 2)).toBe(true);
  });

  it('required: an armed device that cannot follow a lower ttl is closed and the activation fails (the primary demotes)', async () => {
    const emulated = await device({ minTimeoutSeconds: 10 });
    let ttl = 30;
    const watchdog = new LinuxWatchdog({ mode: 'required', device: emulated.path, ttlSeconds: () => ttl, loopWaitSeconds: () => 1, logger: recordingLogger() });
    await watchdog.activate();
    ttl = 5;
    await expect(watchdog.activate()).rejects.toThrow(/Invalid argument/);
    await settle();
    expect(kinds(emulated).slice(-3)).toEqual(['set-timeout-refused', 'expect-close', 'magic-close']);
  });

  it('a reload that changes the watchdog section takes effect: while armed, the next keepalive closes the old device and arms the new one; mode off only closes', async () => {
    const first = await device();
    const second = await device();
    let section: WatchdogSection = { mode: 'required', device: first.path };
    const logger = recordingLogger();
    const build = (current: WatchdogSection) => (current.mode === 'off' ? noWatchdog : new LinuxWatchdog({ ...current, ttlSeconds: () => 30, loopWaitSeconds: () => 10, logger }));
    const watchdog = new ConfiguredWatchdog(() => section, build, logger);
    await watchdog.activate();
    await watchdog.keepalive();
    section = { mode: 'required', device: second.path, safetyMarginSeconds: 10 };
    await watchdog.keepalive();
    await watchdog.keepalive();
    section = { mode: 'off' };
    await watchdog.keepalive();
    await watchdog.keepalive();
    await settle();
    expect(kinds(first)).toEqual(['open', 'set-timeout', 'get-timeout', 'keepalive', 'keepalive', 'expect-close', 'magic-close']);
    expect(kinds(second)).toEqual(['open', 'set-timeout', 'get-timeout', 'keepalive', 'keepalive', 'expect-close', 'magic-close']);
    expect(second.events.find((event) => event.kind === 'set-timeout')?.timeoutSeconds).toBe(20);
    // Unarmed, a new section applies at once: a required device that is not there makes the member unusable.
    section = { mode: 'required', device: '/nonexistent/watchdog' };
    expect(watchdog.usable).toBe(false);
    section = { mode: 'automatic', device: '/nonexistent/watchdog' };
    expect(watchdog.usable).toBe(true);
  });
});
