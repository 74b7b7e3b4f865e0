/**
 * Wakes the waiting loop early. Anything that should make the agent react
 * now rather than at the next loop_wait (a postmaster exit, a background
 * action finishing, an API request) calls `wake(reason)`; a wake that
 * arrives while no one waits is remembered, so it is never lost between
 * the end of a cycle and the start of the wait.
 */
export class WakeSignal {
  private pendingReason: string | undefined;
  private waiter: ((reason: string) => void) | undefined;

  wake(reason: string): void {
    if (this.waiter !== undefined) {
      const resolve = this.waiter;
      this.waiter = undefined;
      resolve(reason);
      return;
    }
    this.pendingReason ??= reason;
  }

  /** Resolves with the reason of the first wake, at once if one is pending. */
  next(signal?: AbortSignal): Promise<string> {
    if (this.pendingReason !== undefined) {
      const reason = this.pendingReason;
      this.pendingReason = undefined;
      return Promise.resolve(reason);
    }
    return new Promise((resolve) => {
      const onAbort = (): void => {
        if (this.waiter === finish) this.waiter = undefined;
        resolve('aborted');
      };
      const finish = (reason: string): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(reason);
      };
      this.waiter = finish;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
