/**
 * A Linux watchdog device emulated over FUSE, for tests on machines without
 * /dev/watchdog (no softdog, no kernel modules): a file whose open, write,
 * ioctl and close go through the kernel as a watchdog device's do, served by
 * a child process (`fuse-watchdog-device.ts`) that keeps the device's timer
 * and reports what happened. What it emulates and what it needs (root, the
 * fuse module) is described there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WatchdogDeviceOptions, WatchdogEvent } from './fuse-watchdog-device.js';

export type { WatchdogDeviceOptions, WatchdogEvent, WatchdogEventKind } from './fuse-watchdog-device.js';

export interface EmulatedWatchdog {
  /** The device file to give the agent (`watchdog.device`). */
  readonly path: string;
  /** Everything the device saw, in order. */
  readonly events: readonly WatchdogEvent[];
  /** Unmounts the file system (lazily: a holder of the file gets errors) and stops the server. */
  stop(): Promise<void>;
}

/** Whether this machine can run the emulation: root and a FUSE device. */
export function canEmulateWatchdog(): boolean {
  return (process.getuid?.() ?? -1) === 0 && existsSync('/dev/fuse');
}

/** The server's source, from src/ (tests) or dist/ alike: the package ships src. */
const deviceScript = fileURLToPath(new URL('../src/fuse-watchdog-device.ts', import.meta.url));

export async function startEmulatedWatchdog(options: WatchdogDeviceOptions = {}): Promise<EmulatedWatchdog> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', deviceScript, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const events: WatchdogEvent[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const path = await new Promise<string>((resolve, reject) => {
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        let parsed: WatchdogEvent | { ready: string };
        try {
          parsed = JSON.parse(line) as WatchdogEvent | { ready: string };
        } catch {
          continue; // not ours (a runtime warning): the server writes one JSON object per line
        }
        if ('ready' in parsed) resolve(parsed.ready);
        else events.push(parsed);
      }
    });
    child.once('error', reject);
    void exited.then(() => reject(new Error(`the emulated watchdog exited before it was mounted: ${stderr.trim()}`)));
  });
  let stopped: Promise<void> | undefined;
  return {
    path,
    events,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const killed = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killed);
      })();
      return stopped;
    },
  };
}
