/**
 * Waiting for a signalled promotion to end recovery, and waking a startup
 * process that took the request and then went to sleep.
 *
 * PostgreSQL checks for a promotion request, among other places, while it
 * waits for its walreceiver to stream. Seen there, the request is consumed
 * and the startup process leaves the stream as failed — and when the stream
 * also failed shortly before (the primary it followed has just stopped:
 * every switchover), it first sleeps out what is left of
 * wal_retrieve_retry_interval (5 s by default), wait event
 * `RecoveryRetrieveRetryInterval`, with nothing left to wake it. Seen in 2
 * of 8 switchovers on PostgreSQL 15 here ("received promote request",
 * then "waiting for WAL to become available", then 4.9 s of nothing).
 * Signalling the promotion again sets its latch and ends the sleep.
 */

export interface PromotionProbe {
  readonly inRecovery: boolean;
  /** The startup process's wait event, if it waits. */
  readonly startupWait: string | null;
}

export interface PromotionWaitIo {
  probe(): Promise<PromotionProbe>;
  /** pg_promote again; `ended` when recovery ended meanwhile. */
  resignal(): Promise<'signalled' | 'ended'>;
  sleep(ms: number): Promise<void>;
  nowMs(): number;
}

export const RETRY_SLEEP_WAIT_EVENT = 'RecoveryRetrieveRetryInterval';
/** A request sent during that sleep wakes the process by itself a moment later: only then signal again. */
const RESIGNAL_AFTER_MS = 50;
const POLL_MS = 5;

/** Resolves with how often the request was signalled again once recovery has ended; rejects with `timeout` past `timeoutMs`. */
export async function awaitPromotion(io: PromotionWaitIo, timeoutMs: number): Promise<{ readonly resignalled: number }> {
  const deadline = io.nowMs() + timeoutMs;
  let signalledAt = io.nowMs();
  let resignalled = 0;
  for (;;) {
    const state = await io.probe();
    if (!state.inRecovery) return { resignalled };
    if (io.nowMs() >= deadline) throw new Error('timeout');
    if (state.startupWait === RETRY_SLEEP_WAIT_EVENT && io.nowMs() - signalledAt >= RESIGNAL_AFTER_MS) {
      signalledAt = io.nowMs();
      resignalled += 1;
      if ((await io.resignal()) === 'ended') return { resignalled };
    }
    await io.sleep(POLL_MS);
  }
}
