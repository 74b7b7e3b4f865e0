/**
 * The smallest Dcs double the watcher needs: getCluster and watch over an
 * in-memory member list. Every other method rejects, so a watcher that
 * started writing to the DCS would fail the test.
 */
import type { Cluster, Dcs, DcsResult, Member } from '@pgwarden/core';

export interface MemoryDcs {
  readonly dcs: Dcs;
  setMembers(members: readonly Member[]): void;
  setLeader(name: string | undefined): void;
  /** Make the next reads fail as an unreachable DCS would. */
  setUnreachable(unreachable: boolean): void;
  reads(): number;
}

export function createMemoryDcs(initial: readonly Member[]): MemoryDcs {
  let members = [...initial];
  let unreachable = false;
  let leader: string | undefined;
  let readCount = 0;
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const wake of [...waiters]) wake();
  };
  const refuse = (): Promise<never> => Promise.reject(new Error('not implemented by the memory DCS double'));
  const dcs = new Proxy(
    {
      backend: 'memory',
      getCluster: async (): Promise<DcsResult<Cluster>> => {
        readCount += 1;
        if (unreachable) return { ok: false, reason: 'unreachable', message: 'memory DCS switched off' };
        return { ok: true, value: { members: [...members], lastLsn: 0, ...(leader === undefined ? {} : { leader: { name: leader, version: 1 } }) } };
      },
      watch: (timeoutMs: number, signal?: AbortSignal): Promise<boolean> =>
        new Promise((resolve) => {
          if (signal?.aborted) {
            resolve(true);
            return;
          }
          const finish = (woken: boolean): void => {
            clearTimeout(timer);
            waiters.delete(wake);
            signal?.removeEventListener('abort', onAbort);
            resolve(woken);
          };
          const wake = (): void => finish(true);
          const onAbort = (): void => finish(true);
          const timer = setTimeout(() => finish(false), timeoutMs);
          waiters.add(wake);
          signal?.addEventListener('abort', onAbort, { once: true });
        }),
    },
    { get: (target, property) => (property in target ? target[property as keyof typeof target] : refuse) },
  ) as unknown as Dcs;
  return {
    dcs,
    setMembers(next) {
      members = [...next];
      notify();
    },
    setLeader(name) {
      leader = name;
      notify();
    },
    setUnreachable(value) {
      unreachable = value;
      notify();
    },
    reads: () => readCount,
  };
}
