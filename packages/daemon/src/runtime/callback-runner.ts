/**
 * `postgresql.callbacks` run as Patroni runs them (spec/postgres.md §6.7):
 * `<command split shell-like> <action> <role> <scope>`, in the background,
 * one at a time, `on_reload` in a slot of its own.
 *
 * Patroni kills a running callback when the next one starts, silently
 * (INCIDENTS #11: role-change hooks lost mid-run). pgwarden keeps that
 * default for compatibility but never silently: the superseded callback is
 * logged at warn level with its action, role and run time. `mode: 'queue'`
 * is the safer option: each callback runs to completion, in order (bounded
 * by `timeoutMs`), so every role change reaches the hook.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { AgentLogger } from '../logger.js';
import type { CallbackAction, CallbackPort, Clock } from '../ports.js';
import { systemClock } from '../ports.js';
import { spellRole, type PrimaryRoleName } from './member-data.js';

export interface CallbackRunnerOptions {
  readonly callbacks: Partial<Record<CallbackAction, string>>;
  readonly scope: string;
  readonly logger: AgentLogger;
  /** `kill-previous` (Patroni) or `queue`. */
  readonly mode?: 'kill-previous' | 'queue';
  /** A queued callback running longer than this is killed (loudly). */
  readonly timeoutMs?: number;
  readonly clock?: Clock;
  /** The role argument for a primary: `master` under pgwarden.patroni3_compat (Patroni 3.x), else `primary`. */
  readonly primaryRole?: PrimaryRoleName;
  /** Run callbacks as this user when we are root (uid/gid). */
  readonly user?: { readonly uid: number; readonly gid: number };
}

interface Running {
  readonly child: ChildProcess;
  readonly label: string;
  readonly startedAtMs: number;
  readonly exited: Promise<void>;
}

/** Split a command line like a POSIX shell would for words and quotes (no expansion). */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: '"' | "'" | undefined;
  let inWord = false;
  for (let index = 0; index < command.length; index++) {
    const character = command[index] ?? '';
    if (quote !== undefined) {
      if (character === quote) quote = undefined;
      else if (character === '\\' && quote === '"' && index + 1 < command.length) current += command[++index] ?? '';
      else current += character;
    } else if (character === '"' || character === "'") {
      quote = character;
      inWord = true;
    } else if (character === '\\' && index + 1 < command.length) {
      current += command[++index] ?? '';
      inWord = true;
    } else if (/\s/.test(character)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += character;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

export class CallbackRunner implements CallbackPort {
  private readonly slots = new Map<'main' | 'reload', Running>();
  private queue: Promise<void> = Promise.resolve();
  private readonly clock: Clock;

  constructor(private readonly options: CallbackRunnerOptions) {
    this.clock = options.clock ?? systemClock;
  }

  run(action: CallbackAction, role: string): void {
    const command = this.options.callbacks[action];
    if (command === undefined || command.trim() === '') return;
    const argv = [...splitCommand(command), action, spellRole(role, this.options.primaryRole ?? 'primary'), this.options.scope];
    const slot = action === 'on_reload' ? 'reload' : 'main';
    if (this.options.mode === 'queue') {
      this.queue = this.queue.then(() => this.runToEnd(slot, argv));
      return;
    }
    this.supersede(slot, `${action} ${role}`);
    this.launch(slot, argv);
  }

  private async runToEnd(slot: 'main' | 'reload', argv: string[]): Promise<void> {
    const running = this.launch(slot, argv);
    if (running === undefined) return;
    const timeoutMs = this.options.timeoutMs ?? 600_000;
    const timer = setTimeout(() => {
      this.options.logger.warn({ callback: running.label, timeoutMs }, 'callback ran too long, killing it');
      killGroup(running.child);
    }, timeoutMs);
    await running.exited;
    clearTimeout(timer);
  }

  private supersede(slot: 'main' | 'reload', next: string): void {
    const previous = this.slots.get(slot);
    if (previous === undefined) return;
    this.options.logger.warn(
      { callback: previous.label, supersededBy: next, ranMs: this.clock.nowMs() - previous.startedAtMs },
      'killing a callback that is still running: a newer callback supersedes it',
    );
    killGroup(previous.child);
  }

  private launch(slot: 'main' | 'reload', argv: string[]): Running | undefined {
    const [file, ...args] = argv;
    if (file === undefined) return undefined;
    const label = args.slice(-3, -1).join(' ');
    const { logger } = this.options;
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        detached: true,
        stdio: 'ignore',
        ...(this.options.user !== undefined ? { uid: this.options.user.uid, gid: this.options.user.gid } : {}),
      });
    } catch (error) {
      logger.error({ callback: label, command: file, error: String(error) }, 'could not run callback');
      return undefined;
    }
    const startedAtMs = this.clock.nowMs();
    const exited = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        logger.error({ callback: label, command: file, error: error.message }, 'could not run callback');
        resolve();
      });
      child.once('exit', (code, signal) => {
        if (this.slots.get(slot)?.child === child) this.slots.delete(slot);
        const fields = { callback: label, code, signal, ranMs: this.clock.nowMs() - startedAtMs };
        if (code === 0) logger.info(fields, 'callback finished');
        else logger.warn(fields, 'callback failed');
        resolve();
      });
    });
    logger.info({ callback: label, command: file }, 'running callback');
    const running = { child, label, startedAtMs, exited };
    this.slots.set(slot, running);
    return running;
  }

  /** Wait (bounded) for callbacks still running, e.g. on_stop at shutdown. */
  async close(timeoutMs = 5000): Promise<void> {
    const pending = [...this.slots.values()].map((running) => running.exited);
    pending.push(this.queue);
    await Promise.race([Promise.all(pending), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}
