/**
 * Every short-lived child (initdb, pg_controldata, pg_basebackup, pg_rewind,
 * scripts) goes through here: run as the PostgreSQL user, bounded by a
 * timeout, stderr kept so a failure can say what the tool said.
 */
import { spawn } from 'node:child_process';
import { PgwardenError } from '@pgwarden/core';
import { redact } from '../logger.js';
import type { RunAsUser } from './run-as.js';

export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface RunCommandOptions {
  readonly user: RunAsUser;
  readonly timeoutMs: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdin?: string;
  /** Called with each chunk of stderr as it arrives (progress parsing). */
  readonly onStderr?: (chunk: string) => void;
  /** Cancellation (Patroni's `cancellable.call`): the child is killed when it aborts. */
  readonly signal?: AbortSignal;
}

const keepBytes = 64 * 1024;

/** Environment of children: ours minus the PATRONI_ and PGWARDEN_ variables (secrets), with HOME of the target user. */
export function childEnvironment(user: RunAsUser, extra: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(PATRONI_|PGWARDEN_|KUBERNETES_|PGPASSWORD$)/.test(key)) continue;
    env[key] = value;
  }
  if (user.switchIdentity) {
    env['HOME'] = user.home;
    env['USER'] = user.name;
    env['LOGNAME'] = user.name;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export function runCommand(command: string, args: readonly string[], options: RunCommandOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      // cwd "/" so a child running as postgres never trips over an unreadable cwd.
      cwd: '/',
      env: childEnvironment(options.user, options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, so that a timeout or a cancellation ends the
      // whole tree: a script's `sleep` (or a tool's helper) that kept our pipes
      // open would otherwise hold the caller until it ended by itself.
      detached: true,
      ...(options.user.switchIdentity ? { uid: options.user.uid, gid: options.user.gid } : {}),
    });
    let killed = false;
    const killTree = (): void => {
      killed = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout = (stdout + chunk.toString()).slice(-keepBytes);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr = (stderr + text).slice(-keepBytes);
      options.onStderr?.(text);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
    const timer = setTimeout(() => {
      timedOut = true;
      killTree();
    }, options.timeoutMs);
    const cancel = (): void => {
      killTree();
    };
    // Once killed, a descendant that escaped the group (setsid of its own)
    // must not keep us waiting for its end of the pipes.
    child.once('exit', () => {
      if (!killed) return;
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, 200).unref();
    });
    options.signal?.addEventListener('abort', cancel, { once: true });
    if (options.signal?.aborted === true) cancel();
    child.once('error', (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', cancel);
      reject(new PgwardenError('pg-command-failed', `could not run ${command}: ${error.message}`, { cause: error }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', cancel);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** The last `count` non-empty lines of a tool's output, for error messages. */
export function lastLines(text: string, count = 15): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter(Boolean)
    .slice(-count)
    .join('\n');
}

/** Describe a failed result in one message: exit status and what the tool said. */
export function describeFailure(what: string, result: CommandResult): string {
  const status = result.timedOut ? 'timed out' : result.signal ? `killed by ${result.signal}` : `exited with code ${result.code}`;
  const said = redact(lastLines(result.stderr || result.stdout));
  return `${what} ${status}${said ? `:\n${said}` : ''}`;
}
