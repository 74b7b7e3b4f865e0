/**
 * Shared plumbing of the contract cases: the harness created once per suite,
 * a fresh scope per case, members closed after each case.
 */
import type { Cluster, Dcs, DcsTimings } from '@pgwarden/core';
import { it as vitestIt, type TestFunction } from 'vitest';
import type { DcsContractHarness } from './harness.js';

export interface SuiteContext {
  harness(): DcsContractHarness;
  /** A scope no other case uses. */
  newScope(): string;
  /** An adapter for `name` in `scope`, closed automatically after the case. */
  member(scope: string, name: string, timings?: Partial<DcsTimings>): Promise<Dcs>;
  closeMembers(): Promise<void>;
  /** Register a case; one named in the suite's `knownBugs` is reported as skipped with its reason. */
  it(name: string, fn: TestFunction, timeoutMs?: number): void;
  /** The `knownBugs` names that matched no case (the suite refuses them: a stale entry hides nothing). */
  unusedKnownBugs(): string[];
}

export function createSuiteContext(
  getHarness: () => DcsContractHarness | undefined,
  knownBugs: Readonly<Record<string, string>> = {},
): SuiteContext {
  let counter = 0;
  const used = new Set<string>();
  const open: Dcs[] = [];
  const runId = `${process.pid}-${Date.now().toString(36)}`;
  const harness = (): DcsContractHarness => {
    const value = getHarness();
    if (value === undefined) throw new Error('the contract harness failed to start');
    return value;
  };
  return {
    harness,
    newScope: () => `contract-${runId}-${++counter}`,
    async member(scope, name, timings = {}) {
      const dcs = await harness().createDcs({ scope, name, timings: { ...harness().timings, ...timings }, clock: Date.now });
      open.push(dcs);
      return dcs;
    },
    async closeMembers() {
      await Promise.all(open.splice(0).map((dcs) => dcs.close()));
    },
    it(name, fn, timeoutMs) {
      const bug = knownBugs[name];
      if (bug === undefined) {
        vitestIt(name, fn, timeoutMs);
        return;
      }
      used.add(name);
      vitestIt.skip(`${name} — known bug: ${bug}`, fn, timeoutMs);
    },
    unusedKnownBugs: () => Object.keys(knownBugs).filter((name) => !used.has(name)),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `probe` until it returns true or `timeoutMs` passes; returns the time it became true (Date.now()). */
export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return Date.now();
    await sleep(intervalMs);
  }
  return undefined;
}

/** Unwrap an ok DcsResult or fail the case with the adapter's message. */
export function expectOk<T>(result: { ok: true; value: T } | { ok: false; reason: string; message: string }): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.reason}: ${result.message}`);
  return result.value;
}

/**
 * Another member's view catches up with a write after a few milliseconds
 * (the adapters answer getCluster from a watch-fed cache, as Patroni does):
 * poll until `predicate` holds, up to 2 s; the last view is returned either way.
 */
export async function eventually(
  dcs: Dcs,
  predicate: (cluster: Cluster) => boolean,
  timeoutMs = 2000,
): Promise<Cluster> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cluster = expectOk(await dcs.getCluster());
    if (predicate(cluster) || Date.now() >= deadline) return cluster;
    await sleep(20);
  }
}
