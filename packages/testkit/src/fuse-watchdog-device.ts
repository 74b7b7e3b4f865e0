/**
 * The server side of `fuse-watchdog.ts`: a FUSE file system with one file that
 * behaves as a Linux watchdog device. It runs in a process of its own (a
 * process that served the file and also opened it synchronously would wait
 * for itself), started by `startEmulatedWatchdog`, and reports each event as
 * a JSON line on its standard output; it unmounts and exits on SIGTERM or
 * when its standard input closes.
 *
 * As the kernel's watchdog core (drivers/watchdog/watchdog_dev.c), for what an
 * HA agent uses: one opener at a time (EBUSY), the timer armed on open, any
 * write feeds it and a `V` among the bytes arms the magic close,
 * WDIOC_SETTIMEOUT (EINVAL outside the driver's range; else set, the timer
 * fed, the timeout written back), WDIOC_GETTIMEOUT, WDIOC_KEEPALIVE; a close
 * after the magic character stops the timer, any other close leaves it
 * running. Where a real device resets the machine, this one reports `fired`.
 *
 * It speaks the FUSE protocol (include/uapi/linux/fuse.h) on /dev/fuse itself
 * and is mounted with mount(2) through mount(8): root and the fuse module are
 * needed. An ioctl on a FUSE file is of the "restricted" kind, its data sized
 * by the command number, which covers the watchdog's.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, read, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `expect-close`: a write holding the magic `V` (it feeds the timer too, as any write). */
export type WatchdogEventKind = 'open' | 'busy' | 'keepalive' | 'expect-close' | 'set-timeout' | 'set-timeout-refused' | 'get-timeout' | 'magic-close' | 'close-without-magic' | 'fired';

export interface WatchdogEvent {
  readonly kind: WatchdogEventKind;
  /** Date.now() when it happened. */
  readonly at: number;
  /** The process that asked (as the kernel reports it), when there is one. */
  readonly pid?: number;
  readonly timeoutSeconds?: number;
}

export interface WatchdogDeviceOptions {
  /** The driver's range for WDIOC_SETTIMEOUT; outside it the ioctl fails with EINVAL. Default 1–600. */
  readonly minTimeoutSeconds?: number;
  readonly maxTimeoutSeconds?: number;
  /**
   * A driver with one timeout of its own (hardware that cannot be tuned):
   * WDIOC_SETTIMEOUT succeeds but writes this value back, as such drivers do.
   */
  readonly fixedTimeoutSeconds?: number;
  /** The timeout before anyone sets one. Default 60, softdog's (or the fixed one). */
  readonly initialTimeoutSeconds?: number;
  /** Owner of the device file (the agent's user); mode 0660. Default root. */
  readonly uid?: number;
  readonly gid?: number;
}

interface ServedDevice {
  readonly path: string;
  stop(): Promise<void>;
}

// Opcodes and sizes of the FUSE protocol, 7.31 (what the reply to INIT announces).
const OP = { LOOKUP: 1, FORGET: 2, GETATTR: 3, SETATTR: 4, OPEN: 14, WRITE: 16, STATFS: 17, RELEASE: 18, FSYNC: 20, FLUSH: 25, INIT: 26, INTERRUPT: 36, DESTROY: 38, IOCTL: 39, BATCH_FORGET: 42 } as const;
const IN_HEADER = 40;
const ROOT = 1n;
const DEVICE = 2n;
const DEVICE_NAME = 'watchdog';
const errno = { ENOENT: 2, EBUSY: 16, EINVAL: 22, ENOTTY: 25, ENOSYS: 38 } as const;

/** linux/watchdog.h: _IOWR('W', 6, int), _IOR('W', 7, int), _IOR('W', 5, int). */
const WDIOC_SETTIMEOUT = 0xc0045706;
const WDIOC_GETTIMEOUT = 0x80045707;
const WDIOC_KEEPALIVE = 0x80045705;

async function serveWatchdogDevice(options: WatchdogDeviceOptions, report: (event: WatchdogEvent) => void): Promise<ServedDevice> {
  const minTimeout = options.minTimeoutSeconds ?? 1;
  const maxTimeout = options.maxTimeoutSeconds ?? 600;
  const uid = options.uid ?? 0;
  const gid = options.gid ?? 0;
  const mountPoint = mkdtempSync(join(tmpdir(), 'pgwarden-watchdog-'));
  const fuse = openSync('/dev/fuse', 'r+');

  let timeoutSeconds = options.fixedTimeoutSeconds ?? options.initialTimeoutSeconds ?? 60;
  let openHandle: bigint | undefined;
  let nextHandle = 1n;
  let expectClose = false;
  let timer: NodeJS.Timeout | undefined;
  const record = (kind: WatchdogEventKind, pid?: number, timeout?: number): void => {
    report({ kind, at: Date.now(), ...(pid === undefined ? {} : { pid }), ...(timeout === undefined ? {} : { timeoutSeconds: timeout }) });
  };
  const stopTimer = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const ping = (): void => {
    stopTimer();
    timer = setTimeout(() => {
      timer = undefined;
      record('fired', undefined, timeoutSeconds);
    }, timeoutSeconds * 1000);
    timer.unref();
  };

  const reply = (unique: bigint, error: number, body?: Buffer): void => {
    // An error answer carries no body.
    const payload = error === 0 ? body : undefined;
    const header = Buffer.alloc(16);
    header.writeUInt32LE(16 + (payload?.length ?? 0), 0);
    header.writeInt32LE(-error, 4);
    header.writeBigUInt64LE(unique, 8);
    try {
      writeSync(fuse, payload === undefined ? header : Buffer.concat([header, payload]));
    } catch {
      // The request was interrupted or the connection is gone: nothing waits for the answer.
    }
  };

  const attr = (node: bigint): Buffer => {
    const buffer = Buffer.alloc(88);
    buffer.writeBigUInt64LE(node, 0); // ino
    const nowSeconds = BigInt(Math.floor(Date.now() / 1000));
    for (const offset of [24, 32, 40]) buffer.writeBigUInt64LE(nowSeconds, offset);
    buffer.writeUInt32LE(node === ROOT ? 0o040755 : 0o100660, 60); // mode
    buffer.writeUInt32LE(node === ROOT ? 2 : 1, 64); // nlink
    buffer.writeUInt32LE(node === ROOT ? 0 : uid, 68);
    buffer.writeUInt32LE(node === ROOT ? 0 : gid, 72);
    buffer.writeUInt32LE(4096, 80); // blksize
    return buffer;
  };
  const attrOut = (node: bigint): Buffer => {
    const buffer = Buffer.alloc(16);
    buffer.writeBigUInt64LE(1n, 0); // attr_valid: 1 s
    return Buffer.concat([buffer, attr(node)]);
  };

  const handle = (request: Buffer): void => {
    const opcode = request.readUInt32LE(4);
    const unique = request.readBigUInt64LE(8);
    const node = request.readBigUInt64LE(16);
    const pid = request.readUInt32LE(32);
    const body = request.subarray(IN_HEADER);
    switch (opcode) {
      case OP.INIT: {
        const out = Buffer.alloc(64);
        out.writeUInt32LE(7, 0);
        out.writeUInt32LE(31, 4);
        out.writeUInt32LE(0, 8); // max_readahead
        out.writeUInt32LE(0, 12); // flags: none
        out.writeUInt16LE(1, 16); // max_background
        out.writeUInt16LE(1, 18);
        out.writeUInt32LE(4096, 20); // max_write
        out.writeUInt32LE(1, 24); // time_gran
        reply(unique, 0, out);
        return;
      }
      case OP.LOOKUP: {
        const name = body.subarray(0, body.indexOf(0)).toString();
        if (node !== ROOT || name !== DEVICE_NAME) return reply(unique, errno.ENOENT);
        const entry = Buffer.alloc(40);
        entry.writeBigUInt64LE(DEVICE, 0);
        entry.writeBigUInt64LE(1n, 16); // entry_valid
        entry.writeBigUInt64LE(1n, 24); // attr_valid
        return reply(unique, 0, Buffer.concat([entry, attr(DEVICE)]));
      }
      case OP.GETATTR:
      case OP.SETATTR:
        if (node !== ROOT && node !== DEVICE) return reply(unique, errno.ENOENT);
        return reply(unique, 0, attrOut(node));
      case OP.OPEN: {
        if (node !== DEVICE) return reply(unique, errno.ENOSYS);
        if (openHandle !== undefined) {
          record('busy', pid);
          return reply(unique, errno.EBUSY);
        }
        openHandle = nextHandle++;
        expectClose = false;
        record('open', pid, timeoutSeconds);
        ping();
        const out = Buffer.alloc(16);
        out.writeBigUInt64LE(openHandle, 0);
        out.writeUInt32LE(1, 8); // FOPEN_DIRECT_IO: every write(2) reaches us
        return reply(unique, 0, out);
      }
      case OP.WRITE: {
        const size = body.readUInt32LE(16);
        const data = body.subarray(40, 40 + size);
        expectClose = data.includes('V'.charCodeAt(0));
        record(expectClose ? 'expect-close' : 'keepalive', pid);
        ping();
        const out = Buffer.alloc(8);
        out.writeUInt32LE(size, 0);
        return reply(unique, 0, out);
      }
      case OP.IOCTL: {
        const command = body.readUInt32LE(12);
        const inSize = body.readUInt32LE(24);
        const argument = inSize >= 4 ? body.readInt32LE(32) : 0;
        const answer = (value: number): void => {
          const out = Buffer.alloc(20);
          out.writeInt32LE(value, 16);
          reply(unique, 0, out);
        };
        if (command === WDIOC_SETTIMEOUT) {
          if (argument < minTimeout || argument > maxTimeout) {
            record('set-timeout-refused', pid, argument);
            return reply(unique, errno.EINVAL);
          }
          timeoutSeconds = options.fixedTimeoutSeconds ?? argument;
          record('set-timeout', pid, timeoutSeconds);
          ping();
          return answer(timeoutSeconds);
        }
        if (command === WDIOC_GETTIMEOUT) {
          record('get-timeout', pid, timeoutSeconds);
          return answer(timeoutSeconds);
        }
        if (command === WDIOC_KEEPALIVE) {
          record('keepalive', pid);
          ping();
          return answer(0);
        }
        return reply(unique, errno.ENOTTY);
      }
      case OP.RELEASE:
        if (node === DEVICE && openHandle === body.readBigUInt64LE(0)) {
          openHandle = undefined;
          if (expectClose) {
            stopTimer();
            record('magic-close', pid);
          } else {
            record('close-without-magic', pid);
          }
        }
        return reply(unique, 0);
      case OP.FLUSH:
      case OP.FSYNC:
      case OP.DESTROY:
        return reply(unique, 0);
      case OP.STATFS:
        return reply(unique, 0, Buffer.alloc(80));
      case OP.FORGET:
      case OP.BATCH_FORGET:
      case OP.INTERRUPT:
        return;
      default:
        return reply(unique, errno.ENOSYS);
    }
  };

  // Served from before the mount: mount(8) may look at the new root before it exits. Until the
  // mount attaches the device, a read fails with EPERM.
  let mounted: 'pending' | 'yes' | 'failed' = 'pending';
  const buffer = Buffer.alloc(1 << 20);
  const served = new Promise<void>((resolve) => {
    const next = (): void => {
      read(fuse, buffer, 0, buffer.length, null, (error, bytes) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EPERM' && mounted !== 'failed') return void setTimeout(next, 5);
          // ENOENT: the request was interrupted before we read it; anything else ends the file system.
          if (code === 'ENOENT' || code === 'EINTR' || code === 'EAGAIN') return next();
          return resolve();
        }
        if (bytes === 0) return resolve();
        handle(Buffer.from(buffer.subarray(0, bytes)));
        next();
      });
    };
    next();
  });

  try {
    await mountFuse(fuse, mountPoint);
    mounted = 'yes';
  } catch (error) {
    mounted = 'failed';
    await served;
    closeSync(fuse);
    rmdirSync(mountPoint);
    throw error;
  }

  let stopped: Promise<void> | undefined;
  return {
    path: join(mountPoint, DEVICE_NAME),
    stop() {
      stopped ??= (async () => {
        stopTimer();
        await run('umount', ['-l', mountPoint]).catch(() => undefined);
        await Promise.race([served, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
        closeSync(fuse);
        rmdirSync(mountPoint);
      })();
      return stopped;
    },
  };
}

/** mount(2) of a FUSE file system on `fd` (passed to mount(8) as its fd 3). */
async function mountFuse(fd: number, mountPoint: string): Promise<void> {
  await run('mount', ['-t', 'fuse', '-o', 'fd=3,rootmode=40000,user_id=0,group_id=0,allow_other', 'pgwarden-watchdog', mountPoint], [fd]);
}

function run(command: string, args: readonly string[], extraFds: readonly number[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe', ...extraFds] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${String(code)}: ${stderr.trim()}`))));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const options = JSON.parse(process.argv[2] ?? '{}') as WatchdogDeviceOptions;
  const device = await serveWatchdogDevice(options, (event) => process.stdout.write(`${JSON.stringify(event)}\n`));
  process.stdout.write(`${JSON.stringify({ ready: device.path })}\n`);
  const stop = (): void => void device.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.stdin.once('end', stop);
  process.stdin.resume();
}
