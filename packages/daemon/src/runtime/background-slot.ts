/**
 * Patroni's async executor: at most one long action (bootstrap, clone,
 * promote, demote, restart, rewind...) runs in the background while the
 * cycle keeps running, renewing the lock and publishing status. The cycle
 * sees it as `running`; when it finishes its outcome is handed to the next
 * cycle once (`lastActionResult`) and the loop is woken at once.
 *
 * Every job gets an AbortSignal. `preempt` (a demotion) cancels the running
 * job and takes the slot after at most `graceMs`, whether or not the old job
 * has wound down: stopping a primary that may no longer hold its lock must
 * not wait behind a restart or a clone. `cancel` + `drain` is shutdown.
 */
import type { Action, ActionFailureCause, RunningAction } from '@pgwarden/core';
import type { Clock } from '../ports.js';

export interface BackgroundResult {
  readonly type: Action['type'];
  readonly ok: boolean;
  readonly message?: string;
  readonly cause?: ActionFailureCause;
}

export type BackgroundJob = (signal: AbortSignal) => Promise<BackgroundResult>;

interface CurrentJob {
  readonly running: RunningAction;
  readonly controller: AbortController;
  done: Promise<BackgroundResult>;
}

export class BackgroundSlot {
  private current: CurrentJob | undefined;
  private finished: BackgroundResult | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly onFinished: (result: BackgroundResult) => void,
  ) {}

  get running(): RunningAction | undefined {
    return this.current?.running;
  }

  /** Start `job` unless one is running; resolves with its result, or undefined (nothing started) when busy. */
  start(running: RunningAction, job: BackgroundJob): Promise<BackgroundResult> | undefined {
    if (this.current !== undefined) return undefined;
    return this.launch(running, job);
  }

  /**
   * Cancel the running job (if any), give it up to `graceMs` to end, then start `job` in its
   * place. Resolves once `job` started (boxed: an async function would adopt the job's own
   * promise and resolve only when the job ended).
   */
  async preempt(running: RunningAction, job: BackgroundJob, graceMs: number): Promise<{ readonly done: Promise<BackgroundResult> }> {
    const previous = this.current;
    if (previous !== undefined) {
      previous.controller.abort(new Error(`cancelled: ${running.name}`));
      await this.settled(previous.done, graceMs);
    }
    return { done: this.launch(running, job) };
  }

  /** Ask the running job to stop at its next step (shutdown). */
  cancel(reason: string): void {
    this.current?.controller.abort(new Error(reason));
  }

  /** Wait for the running job, at most `timeoutMs`; true when the slot is free. */
  async drain(timeoutMs: number): Promise<boolean> {
    const current = this.current;
    if (current === undefined) return true;
    await this.settled(current.done, timeoutMs);
    return this.current === undefined;
  }

  /** The result of the job that finished since the last call, handed out once. */
  takeFinished(): BackgroundResult | undefined {
    const result = this.finished;
    this.finished = undefined;
    return result;
  }

  private launch(running: RunningAction, job: BackgroundJob): Promise<BackgroundResult> {
    const controller = new AbortController();
    // The slot is taken before the job's first step runs (synchronously, as a caller may expect),
    // so the job sees itself as `running`.
    const current: CurrentJob = { running, controller, done: Promise.resolve({ type: running.type, ok: true }) };
    this.current = current;
    let work: Promise<BackgroundResult>;
    try {
      work = job(controller.signal);
    } catch (error) {
      work = Promise.reject(error);
    }
    current.done = work
      .catch((error: unknown): BackgroundResult => ({ type: running.type, ok: false, message: describeError(error) }))
      .then((result) => {
        // A job that was preempted ends after its successor started: it no longer owns the slot.
        if (this.current !== current) return result;
        this.current = undefined;
        this.finished = result;
        this.onFinished(result);
        return result;
      });
    return current.done;
  }

  private settled(done: Promise<unknown>, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const cancel = this.clock.setTimer(resolve, timeoutMs);
      void done.finally(() => {
        cancel();
        resolve();
      });
    });
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
