/**
 * The DCS as the cycle sees it: every request bounded by a time budget the
 * runtime computes when the request starts (see `LockFence.budgetMs`). An
 * adapter bounds its own requests by retry_timeout, but a request that
 * retries, or a socket that black-holes, can still take longer; and while we
 * hold the lock, no request may outlast the lock's validity by our clock —
 * otherwise the decision to demote comes after the key expired at the DCS and
 * a replica is promoted beside a writable primary.
 *
 * A request past its budget counts as `unreachable` (never a lost lock). It
 * is not cancelled: its late answer is dropped (the adapter may still update
 * its own cache from it, which only ever reflects what the DCS did).
 */
import type { Dcs, DcsResult, LockOutcome, ReleaseOutcome } from '@pgwarden/core';
import type { Clock } from '../ports.js';

type AsyncMethods = {
  [K in keyof Dcs]: Dcs[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<R> : never;
};

function timedOut(operation: string, budgetMs: number): string {
  return budgetMs <= 0
    ? `${operation}: not sent, the lock's validity by our clock has run out`
    : `${operation}: no answer within ${Math.round(budgetMs)} ms`;
}

/** Resolves with what `start()` resolves to, or with `onTimeout()` (rejects if it throws) once `budgetMs` passed (at once when ≤ 0). */
export function withinBudget<T>(clock: Clock, start: () => Promise<T>, budgetMs: number, onTimeout: () => T): Promise<T> {
  if (budgetMs <= 0) return Promise.resolve().then(onTimeout);
  return new Promise<T>((resolve, reject) => {
    const cancel = clock.setTimer(() => {
      try {
        resolve(onTimeout());
      } catch (error) {
        reject(error);
      }
    }, budgetMs);
    start().then(
      (value) => {
        cancel();
        resolve(value);
      },
      (error: unknown) => {
        cancel();
        reject(error);
      },
    );
  });
}

export function boundedDcs(dcs: Dcs, clock: Clock, budgetMs: () => number): Dcs {
  const result = <T>(operation: string, call: () => Promise<DcsResult<T>>): Promise<DcsResult<T>> => {
    const budget = budgetMs();
    return withinBudget<DcsResult<T>>(clock, call, budget, () => ({ ok: false, reason: 'unreachable', message: timedOut(operation, budget) }));
  };
  const lock = (operation: string, call: () => Promise<LockOutcome>): Promise<LockOutcome> => {
    const budget = budgetMs();
    return withinBudget<LockOutcome>(clock, call, budget, () => ({ kind: 'unreachable', message: timedOut(operation, budget) }));
  };
  const bounded: Omit<AsyncMethods, 'watch' | 'close' | 'backend' | 'configure' | 'releaseLeader'> = {
    getCluster: () => result('read cluster', () => dcs.getCluster()),
    acquireLeader: () => lock('acquire leader lock', () => dcs.acquireLeader()),
    updateLeader: (input) => lock('update leader lock', () => dcs.updateLeader(input)),
    takeLeader: () => lock('take leader lock', () => dcs.takeLeader()),
    deleteLeader: (input) => result('delete leader lock', () => dcs.deleteLeader(input)),
    initialize: (input) => result('initialize', () => dcs.initialize(input)),
    cancelInitialization: () => result('cancel initialization', () => dcs.cancelInitialization()),
    touchMember: (data) => result('write member key', () => dcs.touchMember(data)),
    setConfig: (value, version) => result('write config', () => dcs.setConfig(value, version)),
    setFailover: (value, version) => result('write failover', () => dcs.setFailover(value, version)),
    writeSyncState: (leader, standbys, version, quorum) => result('write sync', () => dcs.writeSyncState(leader, standbys, version, quorum)),
    deleteSyncState: (version) => result('delete sync', () => dcs.deleteSyncState(version)),
    setHistory: (lines) => result('write history', () => dcs.setHistory(lines)),
    writeStatus: (status) => result('write status', () => dcs.writeStatus(status)),
    writeFailsafe: (value) => result('write failsafe', () => dcs.writeFailsafe(value)),
    deleteCluster: () => result('delete cluster', () => dcs.deleteCluster()),
  };
  return {
    ...bounded,
    // Looked up per call: whether the adapter offers the one-write release is its business.
    get releaseLeader() {
      const release = dcs.releaseLeader;
      if (release === undefined) return undefined;
      return (input: Parameters<typeof release>[0]) => {
        const budget = budgetMs();
        const message = timedOut('release leader lock', budget);
        return withinBudget<ReleaseOutcome>(clock, () => release.call(dcs, input), budget, () => ({
          member: { ok: false, reason: 'unreachable', message },
          leader: { ok: false, reason: 'unreachable', message },
        }));
      };
    },
    get backend() {
      return dcs.backend;
    },
    watch: (timeoutMs, signal) => dcs.watch(timeoutMs, signal),
    configure: (timings) => dcs.configure(timings),
    close: () => dcs.close(),
  };
}
