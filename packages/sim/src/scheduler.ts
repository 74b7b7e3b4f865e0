/**
 * Virtual time for the simulator: one event queue ordered by (time,
 * sequence number) over one global clock. Everything that resolves a
 * member's promises (timers, DCS answers, PostgreSQL completions, peer
 * answers) is an event owned by that member, so:
 * - a paused member (SIGSTOP) fires none of its events until it resumes
 *   (they are held and fire, in order, at the resume time);
 * - a crashed member's events are dropped (its epoch changed), so the
 *   runtime that was dropped never runs again.
 * `drain` runs the due events one at a time and lets the promise
 * continuations of each settle (a macrotask turn: nothing in the model does
 * real I/O), which makes a run a function of the seed alone.
 */
import type { Clock } from '@pgwarden/daemon';

export interface EventOwner {
  readonly name: string;
  /** Bumped when the member's agent is dropped (crash, exit): older events never fire. */
  epoch: number;
  /** While set and in the future, the member's events are held (SIGSTOP). */
  pausedUntilMs?: number;
  /** A dropped process (see processOwner): what it schedules is never queued, what it queued never fires. */
  readonly gone?: boolean;
}

interface QueuedEvent {
  atMs: number;
  seq: number;
  readonly owner: EventOwner | undefined;
  readonly epoch: number;
  readonly run: () => void;
  cancelled: boolean;
}

function before(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Scheduler {
  private readonly heap: QueuedEvent[] = [];
  private seq = 0;
  /** Events run so far (for the steps/second report). */
  eventsRun = 0;
  /** Called after each event's continuations settled (the invariant check). */
  afterEvent: (() => void) | undefined;

  constructor(public nowMs: number) {}

  /** Run `run` at `atMs` (never earlier than now) on behalf of `owner`; returns a cancel function. */
  at(atMs: number, owner: EventOwner | undefined, run: () => void): () => void {
    if (owner?.gone === true) return () => undefined;
    const event: QueuedEvent = { atMs: Math.max(atMs, this.nowMs), seq: this.seq++, owner, epoch: owner?.epoch ?? 0, run, cancelled: false };
    this.push(event);
    return () => {
      event.cancelled = true;
    };
  }

  after(delayMs: number, owner: EventOwner | undefined, run: () => void): () => void {
    return this.at(this.nowMs + Math.max(0, delayMs), owner, run);
  }

  /**
   * Run every event due up to `untilMs` in order, settling promise
   * continuations after each; then now = untilMs. What the caller did since
   * the last call (a fault's API request waking a runtime, say) settles
   * first, at the current time: without that, a step with no event due would
   * move time on while those continuations advanced one promise hop per step
   * (a wake-up seen 750 ms late, reported as the runtime's).
   */
  async runUntil(untilMs: number): Promise<void> {
    await settle();
    for (;;) {
      const next = this.heap[0];
      if (next === undefined || next.atMs > untilMs) break;
      this.pop();
      if (next.cancelled) continue;
      const owner = next.owner;
      if (owner !== undefined && (owner.gone === true || owner.epoch !== next.epoch)) continue;
      this.nowMs = next.atMs;
      if (owner?.pausedUntilMs !== undefined && owner.pausedUntilMs > this.nowMs) {
        // Held while the process is stopped: fires when it resumes, after what is already queued there.
        next.atMs = owner.pausedUntilMs;
        next.seq = this.seq++;
        this.push(next);
        continue;
      }
      this.eventsRun += 1;
      next.run();
      await settle();
      this.afterEvent?.();
    }
    this.nowMs = untilMs;
  }

  private push(event: QueuedEvent): void {
    const heap = this.heap;
    heap.push(event);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const up = heap[parent] as QueuedEvent;
      if (!before(event, up)) break;
      heap[index] = up;
      index = parent;
    }
    heap[index] = event;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right] as QueuedEvent, heap[left] as QueuedEvent) ? right : left;
      if (!before(heap[child] as QueuedEvent, last)) break;
      heap[index] = heap[child] as QueuedEvent;
      index = child;
    }
    heap[index] = last;
  }
}

/**
 * One member's clocks over the global virtual time: `nowMs` is monotonic
 * (a fixed per-member origin, never jumps); `wallMs` carries the member's
 * wall-clock offset, which the clock-jump fault moves.
 */
export class MemberClock implements Clock {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly owner: EventOwner,
    private readonly monotonicOffsetMs: number,
    private readonly wallOffset: () => number,
  ) {}

  nowMs(): number {
    return this.scheduler.nowMs + this.monotonicOffsetMs;
  }

  wallMs(): number {
    return this.scheduler.nowMs + this.wallOffset();
  }

  setTimer(callback: () => void, delayMs: number): () => void {
    return this.scheduler.after(delayMs, this.owner, callback);
  }
}
