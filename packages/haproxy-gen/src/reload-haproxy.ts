/**
 * Graceful reload of a running HAProxy. In master-worker mode (`-W`/`-Ws`,
 * what Debian's systemd unit runs) SIGUSR2 to the master makes it re-read the
 * file and start new workers; the old workers stop listening but keep serving
 * their established connections until those end (or `hard-stop-after`).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { PgwardenError } from '@pgwarden/core';

export type ReloadMethod =
  /** Write the file only (the operator or a CLI "write" command reloads). */
  | { readonly method: 'none' }
  /** SIGUSR2 to the master process, found by PID or in HAProxy's `-p` pid file (first line = master). */
  | { readonly method: 'signal'; readonly pid?: number; readonly pidFile?: string }
  /** Run a command, e.g. `["systemctl", "reload", "haproxy"]`; a non-zero exit is a failed reload. */
  | { readonly method: 'command'; readonly argv: readonly [string, ...string[]]; readonly timeoutMs?: number };

async function masterPid(method: { readonly pid?: number; readonly pidFile?: string }): Promise<number> {
  if (method.pid !== undefined) return method.pid;
  if (method.pidFile === undefined) {
    throw new PgwardenError('haproxy-reload-failed', 'reload method "signal" needs pid or pidFile');
  }
  let text: string;
  try {
    text = await readFile(method.pidFile, 'utf8');
  } catch (error) {
    throw new PgwardenError('haproxy-reload-failed', `cannot read HAProxy pid file ${method.pidFile}`, { cause: error });
  }
  const pid = Number(text.split('\n')[0]?.trim());
  if (!Number.isInteger(pid) || pid <= 1) {
    throw new PgwardenError('haproxy-reload-failed', `HAProxy pid file ${method.pidFile} does not start with a PID`);
  }
  return pid;
}

function runCommand(argv: readonly [string, ...string[]], timeoutMs: number): Promise<void> {
  const [command, ...args] = argv;
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs }, (error, _stdout, stderr) => {
      if (error === null) resolve();
      else {
        const detail = stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new PgwardenError('haproxy-reload-failed', `reload command ${argv.join(' ')} failed: ${detail || error.message}`, { cause: error }));
      }
    });
  });
}

/** Reload HAProxy gracefully; resolves once the reload was requested (HAProxy finishes it asynchronously). */
export async function reloadHaproxy(method: ReloadMethod): Promise<void> {
  if (method.method === 'none') return;
  if (method.method === 'command') {
    await runCommand(method.argv, method.timeoutMs ?? 30_000);
    return;
  }
  const pid = await masterPid(method);
  try {
    process.kill(pid, 'SIGUSR2');
  } catch (error) {
    throw new PgwardenError('haproxy-reload-failed', `cannot signal the HAProxy master (pid ${pid})`, { cause: error });
  }
}
