/**
 * Knows whether "our" postmaster lives: watches the one we spawned or the
 * one we adopted, tells an exit we asked for (stop) from a crash, and keeps
 * the instance state in step. One per PostgresCtl.
 */
import type { ChildProcess } from 'node:child_process';
import type { PostgresState } from '@pgwarden/core';
import type { Context } from './context.js';
import { livePostmaster, PostmasterWatch, type PostmasterPidFile } from './postmaster.js';

export class PostmasterTracker {
  private watch: PostmasterWatch | undefined;
  /** Pid we asked to stop: its exit is expected, even when an adopted one is noticed after stop() returned. */
  private stoppingPid: number | undefined;

  constructor(
    private readonly context: Context,
    private readonly setState: (state: PostgresState) => void,
  ) {}

  /** Watch a postmaster we did not start (agent restart); the live one's pid file, undefined when none runs. */
  adoptIfRunning(): PostmasterPidFile | undefined {
    const postmaster = livePostmaster(this.context.paths.dataDir);
    if (!postmaster) return undefined;
    if (this.watch?.pid !== postmaster.pid) this.attach(postmaster.pid, undefined, true);
    if (this.context.state === 'stopped' || this.context.state === 'crashed') this.setState('running');
    return postmaster;
  }

  expectExit(pid: number): void {
    this.stoppingPid = pid;
  }

  attach(pid: number, child: ChildProcess | undefined, adopted: boolean): void {
    this.watch?.stop();
    this.watch = new PostmasterWatch(
      pid,
      (exit) => {
        const expected = exit.pid === this.stoppingPid;
        if (!expected && this.context.state === 'running') this.setState('crashed');
        this.context.logger[expected ? 'info' : 'warn']({ ...exit, expected }, 'postmaster exited');
        void this.context.local.close();
        this.context.emit({ type: 'postmaster-exit', ...exit, expected });
      },
      { dataDir: this.context.paths.dataDir, ...(child ? { child } : {}) },
    );
    this.context.emit({ type: 'postmaster-start', pid, adopted });
  }

  close(): void {
    this.watch?.stop();
    this.watch = undefined;
  }
}
