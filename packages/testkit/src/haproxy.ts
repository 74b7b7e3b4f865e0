/**
 * A real HAProxy for tests, in master-worker mode (`-W -db`, as systemd runs
 * it) with its master CLI on a private socket, so a test can reload it the
 * way operators do (SIGUSR2 to the master) and see which workers serve.
 * Stopped by the master's PID; the workers exit with their master.
 */
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { makeTempDir } from './temp-dirs.js';
import { startProcess, type TestProcess } from './processes.js';

export const HAPROXY_BINARY = '/usr/sbin/haproxy';

export interface HaproxyWorker {
  readonly pid: number;
  /** `current` serves new connections; `old` only finishes those it had before a reload. */
  readonly generation: 'current' | 'old';
}

export interface HaproxyInstance {
  /** PID of the master process. */
  readonly pid: number;
  readonly configPath: string;
  readonly pidFile: string;
  /** The master CLI socket (`-S`), as Debian's systemd unit sets it. */
  readonly masterSocket: string;
  readonly process: TestProcess;
  /** Workers as the master lists them (`show proc`). */
  workers(): Promise<HaproxyWorker[]>;
  /** SIGUSR2 to the master, then wait until a new current worker serves. */
  reload(timeoutMs?: number): Promise<void>;
  /** Wait until the current worker differs from `previousPid` (after someone else reloaded). */
  waitForNewWorker(previousPid: number | undefined, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export interface StartHaproxyOptions {
  readonly configPath: string;
  readonly binary?: string;
  readonly startTimeoutMs?: number;
}

function masterCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let answer = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error('master CLI timed out')));
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

/** Parse `show proc`: worker lines under "# workers" are current, under "# old workers" old. */
export function parseShowProc(text: string): HaproxyWorker[] {
  const workers: HaproxyWorker[] = [];
  let generation: HaproxyWorker['generation'] | undefined;
  for (const line of text.split('\n')) {
    if (/^#\s*workers/.test(line)) generation = 'current';
    else if (/^#\s*old workers/.test(line)) generation = 'old';
    const match = /^(\d+)\s+worker\b/.exec(line);
    if (match !== null && generation !== undefined) workers.push({ pid: Number(match[1]), generation });
  }
  return workers;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startHaproxy(options: StartHaproxyOptions): Promise<HaproxyInstance> {
  const dir = makeTempDir('haproxy');
  const socketPath = join(dir.path, 'master.sock');
  const pidFile = join(dir.path, 'haproxy.pid');
  const binary = options.binary ?? HAPROXY_BINARY;
  const child = startProcess(binary, ['-W', '-db', '-f', options.configPath, '-p', pidFile, '-S', socketPath]);

  const workers = async (): Promise<HaproxyWorker[]> => parseShowProc(await masterCommand(socketPath, 'show proc'));
  const currentWorker = async (): Promise<number | undefined> => {
    try {
      return (await workers()).find((worker) => worker.generation === 'current')?.pid;
    } catch {
      return undefined;
    }
  };
  const waitForNewWorker = async (previousPid: number | undefined, timeoutMs = 15_000): Promise<number> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.child.exitCode !== null) throw new Error(`haproxy exited: ${child.output()}`);
      const pid = existsSync(socketPath) ? await currentWorker() : undefined;
      if (pid !== undefined && pid !== previousPid) return pid;
      await pause(50);
    }
    throw new Error(`haproxy: no new worker within ${timeoutMs} ms; output:\n${child.output()}`);
  };

  try {
    await waitForNewWorker(undefined, options.startTimeoutMs ?? 15_000);
  } catch (error) {
    await child.stop('SIGKILL');
    dir.remove();
    throw error;
  }
  return {
    pid: child.pid,
    configPath: options.configPath,
    pidFile,
    masterSocket: socketPath,
    process: child,
    workers,
    waitForNewWorker,
    async reload(timeoutMs = 15_000) {
      const before = await currentWorker();
      process.kill(child.pid, 'SIGUSR2');
      await waitForNewWorker(before, timeoutMs);
    },
    async stop() {
      await child.stop('SIGTERM', 5_000);
      dir.remove();
    },
  };
}
