/**
 * A virtual machine with a real watchdog, for tests of the agent's watchdog
 * on machines without /dev/watchdog: QEMU emulates an Intel 6300ESB timer
 * (`-device i6300esb`), a Debian kernel drives it with its own `i6300esb`
 * driver and watchdog core, and when the timer runs out QEMU resets the
 * machine (`-watchdog-action reset`; `-no-reboot` turns the reset into
 * QEMU's exit) and says so over QMP (the `WATCHDOG` event). Nothing of the
 * device is ours: the ioctls, the magic close and the reset are the kernel's
 * and the emulated chip's.
 *
 * The guest boots a busybox initramfs that mounts the host's file system
 * read-only over 9p, with its own /proc, /sys, /dev and a tmpfs on /run,
 * and runs one Node program at the path it has on the host (with the Node
 * binary of the caller) — so the test can hand it pgwarden's code. The
 * program's output and the kernel's warnings come back on the serial
 * console, one line each, timed on the host's monotonic clock.
 *
 * Needs qemu-system-x86_64, busybox-static and a kernel with the modules of
 * `GUEST_MODULES`: `scripts/setup.sh --watchdog-vm` installs the first two
 * and extracts Debian's kernel into `.tools/watchdog-vm` (no KVM needed:
 * QEMU emulates the CPU; a boot to the program takes about 3 s on the
 * project's machine, Node's start a few more).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, type TestProcess } from './processes.js';
import { makeTempDir } from './temp-dirs.js';

/** The kernel and modules, as `scripts/setup.sh --watchdog-vm` leaves them (or $PGWARDEN_WATCHDOG_VM). */
export const WATCHDOG_VM_DIR = process.env['PGWARDEN_WATCHDOG_VM'] ?? fileURLToPath(new URL('../../../.tools/watchdog-vm', import.meta.url));
const QEMU = '/usr/bin/qemu-system-x86_64';
const BUSYBOX = '/bin/busybox';

/** Loaded in this order (each after what it depends on): virtio-pci and 9p for the host's files, then the watchdog. */
export const GUEST_MODULES = [
  'virtio_ring',
  'virtio',
  'virtio_pci_modern_dev',
  'virtio_pci_legacy_dev',
  'virtio_pci',
  '9pnet',
  '9pnet_virtio',
  'netfs',
  'fscache',
  '9p',
  'watchdog',
  'i6300esb',
] as const;

/** Why this machine cannot run the VM, or undefined when it can. */
export function watchdogVmProblem(): string | undefined {
  if (process.arch !== 'x64') return `the watchdog VM runs x86-64 guests only (this is ${process.arch})`;
  if (!existsSync(QEMU)) return `${QEMU} is missing (apt-get install qemu-system-x86, or scripts/setup.sh --watchdog-vm)`;
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is missing (apt-get install busybox-static)`;
  const missing = ['vmlinuz', ...GUEST_MODULES.map((name) => `modules/${name}.ko`)].filter((file) => !existsSync(join(WATCHDOG_VM_DIR, file)));
  if (missing.length > 0) return `${WATCHDOG_VM_DIR} lacks ${missing.join(', ')} (scripts/setup.sh --watchdog-vm extracts Debian's kernel there)`;
  return undefined;
}

export interface WatchdogVmLine {
  /** performance.now() on the host when the line arrived. */
  readonly atMs: number;
  readonly text: string;
}

export interface WatchdogVmEvent {
  /** performance.now() on the host when the event arrived. */
  readonly atMs: number;
  /** QMP's event name: `WATCHDOG` (data.action `reset`), `RESET`, `SHUTDOWN`, ... */
  readonly event: string;
  readonly data?: Record<string, unknown>;
}

export interface WatchdogVm {
  /** The guest console's lines so far: the program's output, the kernel's warnings, the init's own lines (`pgwarden-vm: ...`). */
  readonly lines: readonly WatchdogVmLine[];
  /** QMP events so far. */
  readonly events: readonly WatchdogVmEvent[];
  /** The first line (already arrived or to come) that matches; rejects after `timeoutMs` or when QEMU exits first. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<WatchdogVmLine>;
  /** Resolves with QEMU's exit code once it exited (a reset with -no-reboot, the guest's power-off, or stop()). */
  exited(): Promise<number | null>;
  /** Stops QEMU by its PID (if still running) and removes the VM's files. */
  stop(): Promise<void>;
}

export interface StartWatchdogVmOptions {
  /** A JavaScript file on the host (ESM or CommonJS, as Node takes it); the guest runs it at the same path. */
  readonly program: string;
  readonly args?: readonly string[];
  /** Guest memory; Node needs a few hundred MiB. */
  readonly memoryMiB?: number;
  /**
   * How long the guest stays up after the program ended before it powers
   * off (default 0): room for a watchdog the program left running to fire.
   */
  readonly holdAfterExitSeconds?: number;
}

const quote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

function initScript(command: string, holdSeconds: number): string {
  const modules = GUEST_MODULES.join(' ');
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in ${modules}; do insmod /modules/$m.ko || echo "pgwarden-vm: insmod $m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro host /host || echo "pgwarden-vm: mounting the host's files failed"
mount -t proc proc /host/proc; mount -t sysfs sys /host/sys; mount -t devtmpfs dev /host/dev; mount -t tmpfs run /host/run
echo "pgwarden-vm: booted in $(cut -d' ' -f1 /proc/uptime) s"
chroot /host ${command}
echo "pgwarden-vm: program exited with $?"
sleep ${holdSeconds}
poweroff -f
`;
}

/** The initramfs as an uncompressed newc archive (busybox writes it; the kernel takes it as it is). */
async function buildInitramfs(directory: string, command: string, holdSeconds: number): Promise<string> {
  const root = join(directory, 'initramfs');
  for (const sub of ['bin', 'modules', 'proc', 'sys', 'dev', 'host']) mkdirSync(join(root, sub), { recursive: true });
  copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
  for (const name of GUEST_MODULES) copyFileSync(join(WATCHDOG_VM_DIR, 'modules', `${name}.ko`), join(root, 'modules', `${name}.ko`));
  writeFileSync(join(root, 'init'), initScript(command, holdSeconds), { mode: 0o755 });
  const archive = join(directory, 'initramfs.cpio');
  await new Promise<void>((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', `cd ${quote(root)} && find . | ${BUSYBOX} cpio -o -H newc > ${quote(archive)} 2>/dev/null`], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`building the initramfs failed (exit ${String(code)})`))));
  });
  return archive;
}

/** Calls `onLine` with each complete line of `stream` (\r\n or \n). */
function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = '';
  stream.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, newline).replace(/\r$/, ''));
      pending = pending.slice(newline + 1);
    }
  });
}

async function connectQmp(path: string, qemu: TestProcess, onEvent: (event: WatchdogVmEvent) => void): Promise<Socket> {
  const started = performance.now();
  while (!existsSync(path)) {
    if (qemu.child.exitCode !== null) throw new Error(`QEMU exited before its QMP socket appeared: ${qemu.output().slice(-2000)}`);
    if (performance.now() - started > 15_000) throw new Error('QEMU did not open its QMP socket within 15 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const socket = connect(path);
  socket.on('error', () => undefined); // QEMU closes it when it exits
  eachLine(socket, (line) => {
    let message: { event?: unknown; data?: unknown; QMP?: unknown };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      return;
    }
    if (message.QMP !== undefined) socket.write('{"execute":"qmp_capabilities"}\n');
    else if (typeof message.event === 'string') onEvent({ atMs: performance.now(), event: message.event, ...(typeof message.data === 'object' && message.data !== null ? { data: message.data as Record<string, unknown> } : {}) });
  });
  return socket;
}

export async function startWatchdogVm(options: StartWatchdogVmOptions): Promise<WatchdogVm> {
  const problem = watchdogVmProblem();
  if (problem !== undefined) throw new Error(problem);
  const directory = makeTempDir('watchdog-vm');
  const lines: WatchdogVmLine[] = [];
  const events: WatchdogVmEvent[] = [];
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const waiter of waiters) waiter();
  };
  let qemu: TestProcess | undefined;
  let qmp: Socket | undefined;
  try {
    const command = ['/usr/bin/env', '-i', 'PATH=/usr/bin:/bin', 'HOME=/run', 'TMPDIR=/run', process.execPath, options.program, ...(options.args ?? [])].map(quote).join(' ');
    const initramfs = await buildInitramfs(directory.path, command, options.holdAfterExitSeconds ?? 0);
    const qmpPath = join(directory.path, 'qmp.sock');
    // prettier-ignore
    qemu = startProcess(QEMU, [
      '-M', 'pc', '-m', String(options.memoryMiB ?? 640), '-smp', '1',
      '-nodefaults', '-display', 'none', '-serial', 'stdio', '-no-reboot',
      '-kernel', join(WATCHDOG_VM_DIR, 'vmlinuz'), '-initrd', initramfs,
      '-append', 'console=ttyS0 quiet panic=-1',
      '-virtfs', 'local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap',
      '-device', 'i6300esb', '-watchdog-action', 'reset',
      '-qmp', `unix:${qmpPath},server=on,wait=off`,
    ]);
    const stdout = qemu.child.stdout;
    if (stdout === null) throw new Error('QEMU has no standard output');
    eachLine(stdout, (text) => {
      lines.push({ atMs: performance.now(), text });
      notify();
    });
    qmp = await connectQmp(qmpPath, qemu, (event) => {
      events.push(event);
      notify();
    });
  } catch (error) {
    qmp?.destroy();
    await qemu?.stop('SIGKILL');
    directory.remove();
    throw error;
  }
  const running = qemu;
  const socket = qmp;
  void running.exited().then(notify);
  return {
    lines,
    events,
    exited: () => running.exited(),
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines.find((line) => pattern.test(line.text));
          if (found !== undefined) finish(() => resolve(found));
          else if (running.child.exitCode !== null || running.child.signalCode !== null) finish(() => reject(new Error(`QEMU exited before a line matched ${String(pattern)}; the console:\n${lines.map((line) => line.text).join('\n')}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`no line matched ${String(pattern)} within ${timeoutMs} ms; the console:\n${lines.map((line) => line.text).join('\n')}`))), timeoutMs);
        const finish = (settle: () => void): void => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      socket.destroy();
      await running.stop('SIGKILL');
      directory.remove();
    },
  };
}
