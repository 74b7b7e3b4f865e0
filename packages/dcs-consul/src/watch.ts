/**
 * watch(): one blocking query on the cluster prefix
 * (`GET <base>/?recurse&index=<last X-Consul-Index>&wait=<remaining>`),
 * re-issued until something that matters changed (watch-baseline.ts) or the
 * time is up. Starting from the index of the last read makes a change made
 * between cycles return at once. Patroni blocks on the leader key only; the
 * prefix also catches `/config` and `/status` changes, which the contract
 * requires, at the cost of one cheap re-query per member-key write.
 */
import { sleep, type ClientContext } from './client.js';
import { readKv, type KvEntry, type KvSettings } from './kv.js';
import { baselineOf, changeMatters, type WatchBaseline } from './watch-baseline.js';

export class WatchState {
  baseline: WatchBaseline | undefined;
  /** X-Consul-Index of the last prefix read; undefined before the first. */
  index: number | undefined;
  /** Set by configure() when ttl changed: the next watch returns at once. */
  wakePending = false;
  readonly closed = new AbortController();

  observe(entries: readonly KvEntry[], index: number | undefined, base: string): void {
    this.baseline = baselineOf(entries, base);
    this.advance(index);
  }

  /** Consul's rule: an index that goes backwards resets to 0; an index is never below 1. */
  advance(index: number | undefined): void {
    if (index === undefined) return;
    this.index = this.index !== undefined && index < this.index ? 0 : Math.max(1, index);
  }
}

export interface WatchTarget {
  readonly client: ClientContext;
  readonly kv: KvSettings;
  readonly base: string;
  readonly name: string;
}

/** One signal aborted by any of `signals`; dispose() removes the listeners (watch runs every cycle: no build-up). */
function combine(signals: readonly (AbortSignal | undefined)[]): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  const live = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  for (const signal of live) {
    if (signal.aborted) controller.abort();
    else signal.addEventListener('abort', abort, { once: true });
  }
  return { signal: controller.signal, dispose: () => live.forEach((signal) => signal.removeEventListener('abort', abort)) };
}

export async function runWatch(state: WatchState, target: WatchTarget, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  if (state.wakePending) {
    state.wakePending = false;
    return true;
  }
  const abort = combine([signal, state.closed.signal]);
  try {
    return await watchUntil(state, target, timeoutMs, abort.signal);
  } finally {
    abort.dispose();
  }
}

async function watchUntil(state: WatchState, target: WatchTarget, timeoutMs: number, aborted: AbortSignal): Promise<boolean> {
  const { clock } = target.client;
  const deadline = clock() + Math.max(0, timeoutMs);
  for (;;) {
    if (aborted.aborted) return false;
    const remaining = deadline - clock();
    const blocking = remaining > 0 && state.index !== undefined ? { index: state.index, waitMs: remaining } : undefined;
    const requestDeadline = blocking ? deadline + Math.max(remaining / 15, 1000) : clock() + Math.min(target.client.retryTimeoutMs(), Math.max(remaining, 1000));
    const read = await readKv(target.client, target.kv, `${target.base}/`, { recurse: true, ...(blocking ? { blocking } : {}), signal: aborted }, requestDeadline);
    if (aborted.aborted) return false;
    if (!read.ok) {
      target.client.logger.debug({ message: read.message }, 'consul watch read failed');
      const left = deadline - clock();
      if (left <= 0) return false;
      await sleep(Math.min(left, 1000), aborted);
      continue;
    }
    const current = baselineOf(read.entries, target.base);
    const before = state.baseline;
    state.baseline = current;
    state.advance(read.index);
    if (before !== undefined && changeMatters(before, current, target.name)) return true;
    if (clock() >= deadline) return false;
  }
}
