/**
 * Patroni's async executor: at most one long action (bootstrap, clone,
 * promote, demote, restart, rewind...) runs in the background while the
 * cycle keeps running, renewing the lock and publishing status. The cycle
 * sees it as `running`; when it finishes its outcome is handed to the next
 * cycle once (`lastActionResult`) and the loop is woken at once.
 */
import type { Action, RunningAction } from '@pgwarden/core';

export interface BackgroundResult {
  readonly type: Action['type'];
  readonly ok: boolean;
  readonly message?: string;
}

export class BackgroundSlot {
  private current: { running: RunningAction; done: Promise<void> } | undefined;
  private finished: BackgroundResult | undefined;

  constructor(private readonly onFinished: (result: BackgroundResult) => void) {}

  get running(): RunningAction | undefined {
    return this.current?.running;
  }

  /** Start `job` unless one is running; resolves with its result, or undefined (nothing started) when busy. */
  start(running: RunningAction, job: () => Promise<BackgroundResult>): Promise<BackgroundResult> | undefined {
    if (this.current !== undefined) return undefined;
    const done = job()
      .catch((error: unknown): BackgroundResult => ({ type: running.type, ok: false, message: describeError(error) }))
      .then((result) => {
        this.current = undefined;
        this.finished = result;
        this.onFinished(result);
        return result;
      });
    this.current = { running, done: done.then(() => undefined) };
    return done;
  }

  /** The result of the job that finished since the last call, handed out once. */
  takeFinished(): BackgroundResult | undefined {
    const result = this.finished;
    this.finished = undefined;
    return result;
  }

  /** Wait for the running job, if any (shutdown). */
  async drain(): Promise<void> {
    await this.current?.done;
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
