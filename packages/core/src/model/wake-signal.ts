/**
 * The agent's wait between cycles: resolves true as soon as something that
 * matters changed (leader key, config, a new ttl), false after the timeout,
 * on abort or on close. A change that happened while nobody was waiting is
 * remembered until the next wait or the next cluster read, so it is never
 * lost between a cycle's read and its wait. Shared by the DCS adapters; the
 * timer is injected (core reads no clock and sets no timer itself).
 */
export type SetTimer = (callback: () => void, delayMs: number) => () => void;

export class WakeSignal {
  private pending = false;
  private closed = false;
  private readonly waiters = new Set<(woken: boolean) => void>();

  constructor(private readonly setTimer: SetTimer) {}

  wake(): void {
    this.pending = true;
    for (const waiter of [...this.waiters]) waiter(true);
  }

  /** The cycle reads the newest state now: earlier changes need not wake the next wait. */
  clear(): void {
    this.pending = false;
  }

  close(): void {
    this.closed = true;
    for (const waiter of [...this.waiters]) waiter(false);
  }

  wait(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve(true);
    }
    if (this.closed || signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const finish = (woken: boolean): void => {
        cancelTimer();
        this.waiters.delete(finish);
        signal?.removeEventListener('abort', onAbort);
        if (woken) this.pending = false;
        resolve(woken);
      };
      const onAbort = (): void => finish(false);
      const cancelTimer = this.setTimer(() => finish(false), Math.max(0, timeoutMs));
      this.waiters.add(finish);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
