/**
 * The demo's child processes: started with their output in a log file,
 * recorded by PID in a state file, and stopped by PID — never by name — so
 * the demo only ever touches what it started. A state file left behind by a
 * demo that was killed lets the next run clean up after it (the "second run
 * works without cleanup by hand" promise).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';

export interface DemoChild {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  exited(): boolean;
}

export function startChild(name: string, command: string, args: readonly string[], logFile: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): DemoChild {
  const log = openSync(logFile, 'a');
  // Its own process group: Ctrl-C reaches the runner only, which then stops everything in order.
  const child = spawn(command, args, { stdio: ['ignore', log, log], cwd: options.cwd, env: options.env ?? process.env, detached: true });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  let done = false;
  child.once('exit', () => (done = true));
  child.once('error', () => (done = true));
  return { name, pid: child.pid, child, logFile, exited: () => done || child.exitCode !== null || child.signalCode !== null };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a live process, to check a recorded PID still is ours. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** SIGTERM, wait up to `graceMs`, then SIGKILL; resolves once the PID is gone. */
export async function stopPid(pid: number, graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = performance.now() + graceMs;
  while (isAlive(pid) && performance.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
    while (isAlive(pid)) await sleep(50);
  }
}

export async function stopChild(child: DemoChild, graceMs: number): Promise<void> {
  if (child.exited()) return;
  const gone = new Promise<void>((resolve) => child.child.once('exit', () => resolve()));
  await stopPid(child.pid, graceMs);
  await Promise.race([gone, sleep(1000)]);
}

/** The postmaster PID from `postmaster.pid`, when it is alive and runs on that data directory. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = `${dataDir}/postmaster.pid`;
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 1 || !isAlive(pid)) return undefined;
  return commandLine(pid).includes(dataDir) ? pid : undefined;
}

export interface DemoState {
  readonly runnerPid: number;
  readonly baseDir: string;
  readonly pids: readonly { readonly name: string; readonly pid: number }[];
  readonly dataDirs: readonly string[];
}

export function writeState(file: string, state: DemoState): void {
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}

export function readState(file: string): DemoState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DemoState;
  } catch {
    return undefined;
  }
}

/**
 * Clean up after a demo that died without stopping its children: only PIDs
 * recorded in its state file whose command line still names its base dir.
 */
export async function cleanStaleDemo(file: string, say: (text: string) => void): Promise<void> {
  const state = readState(file);
  if (state === undefined) return;
  if (state.runnerPid !== process.pid && isAlive(state.runnerPid) && commandLine(state.runnerPid).includes('demo')) {
    throw new Error(`a demo is already running (PID ${state.runnerPid}, data in ${state.baseDir}): stop it with Ctrl-C in its terminal or kill ${state.runnerPid}`);
  }
  say(`Cleaning up after a previous demo that did not stop cleanly (${state.baseDir})`);
  const ours = (name: string): number[] =>
    state.pids.filter((entry) => entry.name.startsWith(name) && isAlive(entry.pid) && commandLine(entry.pid).includes(state.baseDir)).map((entry) => entry.pid);
  // Agents first (they stop their PostgreSQL, and would restart one stopped under them), then what is left.
  await Promise.all(ours('node').map((pid) => stopPid(pid, 30_000)));
  await Promise.all(ours('haproxy').map((pid) => stopPid(pid, 5_000)));
  await Promise.all(
    state.dataDirs.map(async (dataDir) => {
      const pid = postmasterPid(dataDir);
      if (pid !== undefined) await stopPid(pid, 30_000, 'SIGINT');
    }),
  );
  await Promise.all(ours('etcd').map((pid) => stopPid(pid, 10_000)));
  rmSync(state.baseDir, { recursive: true, force: true });
  rmSync(file, { force: true });
}
