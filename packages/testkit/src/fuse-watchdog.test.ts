import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canEmulateWatchdog, startEmulatedWatchdog, type EmulatedWatchdog, type WatchdogEventKind } from './fuse-watchdog.js';

/** WDIOC_SETTIMEOUT on `fd`, as the agent issues it: a perl child gets the descriptor as its stdin. */
function setTimeoutIoctl(fd: number, seconds: number): Promise<string> {
  const script = 'my $t = pack("i", $ARGV[0]); ioctl(STDIN, 0xc0045706, $t) or die "$!\\n"; print unpack("i", $t);';
  return new Promise((resolve) => {
    const child = spawn('perl', ['-e', script, String(seconds)], { stdio: [fd, 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('close', () => resolve(out.trim()));
  });
}

describe.skipIf(!canEmulateWatchdog())('emulated watchdog device (FUSE)', () => {
  let device: EmulatedWatchdog;
  const kinds = (): WatchdogEventKind[] => device.events.map((event) => event.kind);

  beforeAll(async () => {
    device = await startEmulatedWatchdog({ minTimeoutSeconds: 1, maxTimeoutSeconds: 30 });
  });
  afterAll(async () => {
    await device?.stop();
  });

  it('behaves as the kernel watchdog core: one opener, ioctls within the range, feeding, firing, magic close', async () => {
    const fd = openSync(device.path, 'w');
    expect(() => openSync(device.path, 'w')).toThrow(/EBUSY/);
    expect(await setTimeoutIoctl(fd, 2)).toBe('2');
    expect(await setTimeoutIoctl(fd, 31)).toBe('Invalid argument');
    writeSync(fd, '1');
    const fedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2600));
    const fired = device.events.find((event) => event.kind === 'fired');
    expect(fired?.timeoutSeconds).toBe(2);
    expect(fired!.at - fedAt).toBeGreaterThanOrEqual(1900);
    writeSync(fd, 'V');
    closeSync(fd);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(kinds()).toEqual(['open', 'busy', 'set-timeout', 'set-timeout-refused', 'keepalive', 'fired', 'expect-close', 'magic-close']);
  });

  it('a close without the magic character leaves the timer running', async () => {
    const before = device.events.length;
    const fd = openSync(device.path, 'w');
    writeSync(fd, '1');
    closeSync(fd);
    await new Promise((resolve) => setTimeout(resolve, 2300));
    expect(device.events.slice(before).map((event) => event.kind)).toEqual(['open', 'keepalive', 'close-without-magic', 'fired']);
  });

  it('stop() unmounts: the device file is gone', async () => {
    const path = device.path;
    await device.stop();
    expect(existsSync(path)).toBe(false);
  });
});
