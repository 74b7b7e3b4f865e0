/**
 * Free loopback ports for test servers, unique across every test process
 * on the machine.
 *
 * Several test files run at once, each in a process of its own, and a port
 * is handed out some time before its server binds it. Two things could take
 * it in that window, and each is ruled out:
 * - another test process handing out the same number: every port handed out
 *   is reserved by a file named after it in one directory shared by the
 *   machine's test processes, created exclusively and holding the owner's
 *   PID. A reservation is taken over only once its process is gone and the
 *   file is older than a minute (a server it started may have outlived it
 *   for a moment, and its clients may still be retrying that port);
 * - the kernel, for a listener bound to port 0 or the source port of an
 *   outgoing connection: both come from the ephemeral range
 *   (net.ipv4.ip_local_port_range), so ports are picked below it.
 * A port is handed out only after a listener could bind it on `host`.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where reservations live: one directory per user, shared by all test processes. */
const RESERVATIONS = join(tmpdir(), `pgwarden-test-ports-${process.getuid?.() ?? 'user'}`);
/** A reservation left by a process that is gone may be taken over after this long. */
const STALE_AFTER_MS = 60_000;
/** How many ports below the ephemeral range are picked from. */
const WINDOW = 16_384;
/** The lowest port picked from: above the well-known and most registered services' ports. */
const LOWEST = 10_000;

const reserved: string[] = [];
let prepared = false;

/** The ports to pick from, [low, high]: the window just below the ephemeral range. */
export function portWindow(ephemeralRange: string | undefined): readonly [number, number] {
  const low = Number.parseInt(ephemeralRange?.trim().split(/\s+/)[0] ?? '', 10);
  // An ephemeral range that starts too low leaves no room below it: a fixed window instead, which
  // may overlap the range (the reservations still keep test processes apart; the kernel might
  // then take a port before its server binds it).
  if (!Number.isInteger(low) || low - 1 - LOWEST < 1024) return [LOWEST, LOWEST + WINDOW - 1];
  return [Math.max(LOWEST, low - WINDOW), low - 1];
}

function ephemeralRange(): string | undefined {
  try {
    return readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'latin1');
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

function releaseAll(): void {
  for (const file of reserved.splice(0)) {
    try {
      unlinkSync(file);
    } catch {
      // already gone: nothing to release
    }
  }
}

/** Whether a reservation may be taken over: its owner is gone (not this process) and it is old. */
function isStale(file: string): boolean {
  const owner = Number.parseInt(readFileSync(file, 'latin1'), 10);
  const ageMs = Date.now() - statSync(file).mtimeMs;
  if (owner === process.pid || (Number.isInteger(owner) && owner > 0 && processAlive(owner))) return false;
  return ageMs >= STALE_AFTER_MS;
}

/**
 * Create the directory and remove the stale reservations, once per process:
 * test workers are often killed rather than left to exit, so theirs are not
 * removed by their owner.
 * (Two processes judging the same file stale at the same instant could, in
 * theory, remove a third's new reservation of that port between them; the
 * window is a few microseconds wide.)
 */
function prepare(): void {
  if (prepared) return;
  prepared = true;
  process.once('exit', releaseAll);
  mkdirSync(RESERVATIONS, { recursive: true, mode: 0o700 });
  for (const name of readdirSync(RESERVATIONS)) {
    const file = join(RESERVATIONS, name);
    try {
      if (isStale(file)) unlinkSync(file);
    } catch {
      // taken over or removed by another process meanwhile
    }
  }
}

/** The file that reserves `port`. Exported for tests. */
export function reservationFile(port: number): string {
  return join(RESERVATIONS, String(port));
}

/**
 * Reserve `port` for this process: false when another live process holds it,
 * or one that is gone but held it within the last minute. Exported for tests.
 */
export function reservePort(port: number): boolean {
  prepare();
  const file = reservationFile(port);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      reserved.push(file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    // Held: take it over only when its owner is gone and the reservation is old.
    try {
      if (!isStale(file)) return false;
      unlinkSync(file);
    } catch (error) {
      // Being written or removed by another process right now: leave it to them.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return false;
    }
  }
  return false;
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** This machine's window, read once per process. */
let machineWindow: readonly [number, number] | undefined;

export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  machineWindow ??= portWindow(ephemeralRange());
  const [low, high] = machineWindow;
  for (let tries = 0; tries < 1000; tries += 1) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    // A port we reserved stays ours for the life of this process, whether it binds or not.
    if (!reservePort(port)) continue;
    if (await canBind(port, host)) return port;
  }
  throw new Error(`no free port on ${host} in ${low}-${high} after 1000 tries (reservations in ${RESERVATIONS})`);
}

export async function getFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports: number[] = [];
  for (let index = 0; index < count; index++) ports.push(await getFreePort(host));
  return ports;
}
