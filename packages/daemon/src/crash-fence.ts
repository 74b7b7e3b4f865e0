/**
 * An unexpected crash of the agent (an exception nobody caught) while it runs
 * the primary must not leave a writable primary that nobody fences: the lock
 * expires and a replica is promoted beside it. Patroni leaves PostgreSQL
 * running then (only a watchdog saves it); pgwarden stops it — immediate
 * mode, bounded — before the process exits. While paused PostgreSQL is left
 * alone (the operator is in charge); a replica is left running (harmless).
 * A SIGKILL of the agent cannot be caught: that case needs the watchdog.
 */
import type { AgentLogger } from './logger.js';
import { describeError } from './runtime/background-slot.js';

export interface CrashFenceOptions {
  readonly logger: AgentLogger;
  /** The last cycle saw PostgreSQL running as a primary, and the cluster is not paused. */
  runsUnpausedPrimary(): boolean;
  stopPostgres(): Promise<void>;
  /** How long the stop may take before the process exits anyway. */
  readonly stopTimeoutMs: number;
  exit(code: number): void;
}

/** The handler for `uncaughtException`: fence, then exit with 70 (EX_SOFTWARE). */
export function crashFence(options: CrashFenceOptions): (error: unknown) => Promise<void> {
  let crashing = false;
  return async (error) => {
    if (crashing) return;
    crashing = true;
    const fence = options.runsUnpausedPrimary();
    options.logger.fatal({ error: describeError(error), fence }, fence ? 'Unexpected exception, please report it as a BUG: stopping PostgreSQL (immediate) before exiting, so no primary runs without its agent' : 'Unexpected exception, please report it as a BUG: exiting');
    if (fence) {
      let cancel: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (cancel = setTimeout(resolve, options.stopTimeoutMs)));
      await Promise.race([options.stopPostgres().catch((stopError: unknown) => options.logger.error({ error: describeError(stopError) }, 'could not stop PostgreSQL')), timeout]);
      clearTimeout(cancel);
    }
    options.exit(70);
  };
}
