/**
 * Progress of waiting commands: the cluster read every half second while a
 * request is in flight (or until a condition holds), a line on standard error
 * each time its summary changes, prefixed with the time since the start.
 * Standard output stays patronictl's, so scripts that parse it keep working.
 */
import type { Cluster } from '@pgwarden/core';
import { clusterSummary } from '../cluster/cluster-summary.js';
import type { CtlContext } from '../context.js';

const POLL_MS = 500;

export interface ProgressReporter {
  /** Read once now and report a change; returns the cluster (or undefined when the DCS did not answer). */
  poll(): Promise<Cluster | undefined>;
  /** Poll in the background until `stop()`. */
  start(): void;
  stop(): Promise<Cluster | undefined>;
}

export function createProgressReporter(ctx: CtlContext, scope: string, startMs: number): ProgressReporter {
  let last = '';
  let latest: Cluster | undefined;
  let running = false;
  let loop: Promise<void> | undefined;
  const poll = async (): Promise<Cluster | undefined> => {
    try {
      const cluster = await ctx.readCluster(scope, { allowEmpty: true });
      latest = cluster;
      const summary = clusterSummary(cluster);
      if (summary !== last) {
        last = summary;
        const elapsed = ((performance.now() - startMs) / 1000).toFixed(1).padStart(5);
        ctx.io.err(`  [${elapsed}s] ${summary}`);
      }
      return cluster;
    } catch {
      return undefined;
    }
  };
  return {
    poll,
    start() {
      running = true;
      loop = (async () => {
        while (running) {
          await poll();
          await ctx.io.sleep(POLL_MS);
        }
      })();
    },
    async stop() {
      running = false;
      await loop;
      return latest;
    },
  };
}

/** Poll (reporting changes) until `done(cluster)` or `timeoutMs`; returns whether it was reached. */
export async function waitForCluster(
  ctx: CtlContext,
  reporter: ProgressReporter,
  done: (cluster: Cluster) => boolean,
  timeoutMs: number,
): Promise<{ reached: boolean; cluster?: Cluster }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const cluster = await reporter.poll();
    if (cluster !== undefined && done(cluster)) return { reached: true, cluster };
    if (performance.now() >= deadline) return { reached: false, ...(cluster ? { cluster } : {}) };
    await ctx.io.sleep(POLL_MS);
  }
}
