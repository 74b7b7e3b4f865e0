/**
 * The postmaster process: spawned directly (not through pg_ctl) in its own
 * session so it outlives the agent, and watched so an exit is known at once.
 *
 * Watch strategy. When we spawned the postmaster it is our child, and the
 * kernel tells Node through SIGCHLD: the `exit` event arrives within
 * milliseconds of the death, whatever the signal. When we adopted a running
 * postmaster (agent restarted) it is not our child; Node 20 has no pidfd
 * API, so we probe `process.kill(pid, 0)` every 100 ms (one syscall, no CLI
 * tool) and also watch the data directory with inotify (fs.watch) so a clean
 * shutdown, which removes postmaster.pid, is seen even sooner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, chownSync, existsSync, openSync, readdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { RunAsUser } from './process/run-as.js';
import { childEnvironment } from './process/run-command.js';

export interface PostmasterPidFile {
  readonly pid: number;
  readonly dataDir: string;
  readonly startEpochSeconds: number;
  readonly port: number;
  readonly socketDir: string;
  readonly listen: string;
  /** `starting`, `stopping`, `ready`, `standby` (PostgreSQL 10+). */
  readonly status: string;
}

export function readPidFile(dataDir: string): PostmasterPidFile | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return {
    pid,
    dataDir: lines[1] ?? '',
    startEpochSeconds: Number(lines[2] ?? 0),
    port: Number(lines[3] ?? 0),
    socketDir: lines[4] ?? '',
    listen: lines[5] ?? '',
    status: (lines[7] ?? '').trim(),
  };
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The processes whose parent is `pid`, from /proc (none where there is no /proc). */
export function childProcesses(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, the last ')' ends it.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

/**
 * SIGKILL for a postmaster and every process it started. PostgreSQL makes
 * each child the leader of a process group of its own (setsid() in
 * InitPostmasterChild), so a kill of the postmaster's group reaches the
 * postmaster alone; a child left behind (frozen, or still writing) keeps the
 * shared memory and the next start fails ("pre-existing shared memory block
 * is still in use"). The postmaster is frozen first so that it forks nothing
 * new while its children are listed, and killed last so that they are still
 * its children (an orphan's parent changes) when they are.
 */
export function killPostmasterTree(pid: number): void {
  signal(pid, 'SIGSTOP');
  for (const child of childProcesses(pid)) signal(child, 'SIGKILL');
  signal(pid, 'SIGKILL');
}

/** The pid in postmaster.pid is a live postgres process (not a recycled pid of something else). */
export function livePostmaster(dataDir: string): PostmasterPidFile | undefined {
  const pidFile = readPidFile(dataDir);
  if (!pidFile || !isProcessAlive(pidFile.pid)) return undefined;
  try {
    const command = readFileSync(`/proc/${pidFile.pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    if (!/(postgres|postmaster)$/.test(command) && !command.startsWith('postgres:')) return undefined;
  } catch {
    // No /proc (not Linux): trust the liveness probe.
  }
  return pidFile;
}

export interface SpawnPostmasterOptions {
  readonly postgresBinary: string;
  readonly dataDir: string;
  readonly configFile: string;
  readonly commandLine: Readonly<Record<string, string>>;
  readonly logFile: string;
  readonly user: RunAsUser;
}

/**
 * A stale postmaster.pid whose pid now belongs to another live process makes
 * PostgreSQL refuse to start; PG_GRANDPARENT_PID tells it to ignore that pid
 * (what Patroni does).
 */
export function stalePidEnvironment(dataDir: string): Record<string, string> {
  const pidFile = readPidFile(dataDir);
  if (pidFile && isProcessAlive(pidFile.pid) && !livePostmaster(dataDir)) return { PG_GRANDPARENT_PID: String(pidFile.pid) };
  return {};
}

export function spawnPostmaster(options: SpawnPostmasterOptions): ChildProcess {
  const args = ['-D', options.dataDir, `--config-file=${options.configFile}`];
  for (const [name, value] of Object.entries(options.commandLine)) args.push(`--${name}=${value}`);
  const logFd = openSync(options.logFile, 'a', 0o600);
  try {
    if (options.user.switchIdentity) chownSync(options.logFile, options.user.uid, options.user.gid);
    const child = spawn(options.postgresBinary, args, {
      cwd: '/',
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: childEnvironment(options.user, stalePidEnvironment(options.dataDir)),
      ...(options.user.switchIdentity ? { uid: options.user.uid, gid: options.user.gid } : {}),
    });
    child.unref();
    return child;
  } finally {
    closeSync(logFd);
  }
}

export interface PostmasterExit {
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** `child`: SIGCHLD of our own child; `probe`: the liveness probe / pid file watch of an adopted one. */
  readonly via: 'child' | 'probe';
}

/** Calls `onExit` once when the postmaster dies; `stop()` ends the watch. */
export class PostmasterWatch {
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private done = false;

  constructor(
    readonly pid: number,
    private readonly onExit: (exit: PostmasterExit) => void,
    options: { child?: ChildProcess; dataDir: string; probeIntervalMs?: number },
  ) {
    if (options.child) {
      options.child.once('exit', (code, signal) => this.fire({ pid, code, signal, via: 'child' }));
      return;
    }
    const probe = (): void => {
      if (!isProcessAlive(pid)) this.fire({ pid, code: null, signal: null, via: 'probe' });
    };
    this.timer = setInterval(probe, options.probeIntervalMs ?? 100);
    this.timer.unref();
    try {
      this.watcher = watch(options.dataDir, { persistent: false }, (_event, file) => {
        if (file === 'postmaster.pid' && !existsSync(join(options.dataDir, 'postmaster.pid'))) probe();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = undefined;
    }
  }

  stop(): void {
    this.done = true;
    if (this.timer) clearInterval(this.timer);
    this.watcher?.close();
  }

  private fire(exit: PostmasterExit): void {
    if (this.done) return;
    this.stop();
    this.onExit(exit);
  }
}
