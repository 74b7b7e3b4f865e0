import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { getFreePorts, portWindow, reservationFile, reservePort } from './ports.js';

const sleeper = spawn('sleep', ['120'], { stdio: 'ignore' });
/** Reservations this test wrote for other processes: removed at the end. */
const planted: string[] = [];
afterAll(() => {
  sleeper.kill('SIGKILL');
  for (const file of planted) rmSync(file, { force: true });
});

function plant(port: number, pid: number | undefined, ageMs: number): void {
  const file = reservationFile(port);
  writeFileSync(file, String(pid));
  planted.push(file);
  const then = new Date(Date.now() - ageMs);
  utimesSync(file, then, then);
}

/**
 * A port nobody reserved, below every window (ports are handed out from 10000
 * up), so that planting a reservation never overwrites one a test running
 * beside this one holds.
 */
function unreservedPort(): number {
  for (let port = 2_000; port < 3_000; port += 1) if (!existsSync(reservationFile(port))) return port;
  throw new Error('every port from 2000 to 2999 is reserved');
}

describe('free test ports', () => {
  it('picks below the ephemeral range, where the kernel does not hand out ports itself', () => {
    expect(portWindow('32768\t60999\n')).toEqual([16_384, 32_767]);
    expect(portWindow('49152 65535')).toEqual([32_768, 49_151]);
    expect(portWindow('20000 60999')).toEqual([10_000, 19_999]);
    // no room below the range, or no range at all: a fixed window
    expect(portWindow('1024 65535')).toEqual([10_000, 26_383]);
    expect(portWindow(undefined)).toEqual([10_000, 26_383]);
  });

  it('hands out distinct ports, each reserved by this process and bindable', async () => {
    const [low, high] = portWindow(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'latin1'));
    const ports = await getFreePorts(40);
    expect(new Set(ports).size).toBe(40);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(low);
      expect(port).toBeLessThanOrEqual(high);
      expect(readFileSync(reservationFile(port), 'latin1')).toBe(String(process.pid));
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[0], '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('leaves a port to another live process that reserved it, however old its reservation', () => {
    const port = unreservedPort();
    plant(port, sleeper.pid, 3_600_000);
    expect(reservePort(port)).toBe(false);
    expect(readFileSync(reservationFile(port), 'latin1')).toBe(String(sleeper.pid));
  });

  it('takes over the reservation of a process that is gone, once it is a minute old', async () => {
    const gone = spawn('true');
    await new Promise((resolve) => gone.once('exit', resolve));
    const port = unreservedPort();
    plant(port, gone.pid, 1_000);
    expect(reservePort(port)).toBe(false); // fresh: its servers' clients may still be retrying it
    plant(port, gone.pid, 120_000);
    expect(reservePort(port)).toBe(true);
    expect(readFileSync(reservationFile(port), 'latin1')).toBe(String(process.pid));
    expect(reservePort(port)).toBe(false); // and not twice to this process
  });
});
