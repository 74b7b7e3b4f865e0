/**
 * Lets the fence abandon a cycle that waits on something that does not
 * answer (PostgreSQL, a peer, an adapter): every step of the cycle is awaited
 * through `step()`, which rejects with `CycleAbandoned` once `abandon()` was
 * called. The abandoned promise is left to settle on its own; its result is
 * dropped. The next cycle starts at once and decides with what it can read.
 */
export class CycleAbandoned extends Error {
  constructor(readonly reason: string) {
    super(`cycle abandoned: ${reason}`);
  }
}

export class CycleGuard {
  private abandonedBecause: string | undefined;
  private rejectStep: ((error: CycleAbandoned) => void) | undefined;
  private readonly abandoned: Promise<never>;

  constructor() {
    this.abandoned = new Promise<never>((_resolve, reject) => {
      this.rejectStep = reject;
    });
    // Nobody may be awaiting a step when the cycle is abandoned.
    this.abandoned.catch(() => undefined);
  }

  get isAbandoned(): boolean {
    return this.abandonedBecause !== undefined;
  }

  abandon(reason: string): void {
    if (this.abandonedBecause !== undefined) return;
    this.abandonedBecause = reason;
    this.rejectStep?.(new CycleAbandoned(reason));
  }

  /** `promise`, unless the cycle is abandoned first. */
  step<T>(promise: Promise<T>): Promise<T> {
    if (this.abandonedBecause !== undefined) {
      promise.catch(() => undefined);
      return Promise.reject(new CycleAbandoned(this.abandonedBecause));
    }
    promise.catch(() => undefined);
    return Promise.race([promise, this.abandoned]);
  }
}
