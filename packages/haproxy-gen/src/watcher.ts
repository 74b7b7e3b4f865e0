/**
 * Keep haproxy.cfg in step with the cluster: read it through the DCS, render,
 * and install + reload only when the text changed. A failed DCS read keeps
 * the installed configuration as it is (never render "no members" from an
 * outage), and a render HAProxy refuses is logged once, not installed.
 *
 * `Dcs.watch` wakes us early on leader/config changes; member keys coming
 * and going are caught by the poll interval (the watch timeout).
 */
import type { Dcs } from '@pgwarden/core';
import { isPgwardenError } from '@pgwarden/core';
import { installHaproxyConfig, type InstallOptions } from './install-config.js';
import { silentLogger, type HaproxyGenLogger } from './logger.js';
import { parseHaproxyOptions, type HaproxyOptionsInput } from './options.js';
import { cutFormerPrimarySessions } from './leader-change.js';
import { renderHaproxyConfig } from './render-config.js';

export interface WatcherOptions {
  /** Only `getCluster` and `watch` are used. */
  readonly dcs: Pick<Dcs, 'getCluster' | 'watch'>;
  readonly haproxy: HaproxyOptionsInput;
  readonly install: Omit<InstallOptions, 'logger'>;
  readonly logger?: HaproxyGenLogger;
  /**
   * HAProxy's master CLI socket (`-S`, Debian's unit uses /run/haproxy-master.sock). With it,
   * when the leader changes, old workers left by reloads are told to cut their sessions to
   * every member but the new leader: they run no health checks, so nothing else would.
   * Also used to confirm each reload (see InstallOptions.masterSocket).
   */
  readonly masterSocket?: string;
  /** Longest wait between two reads of the cluster; default 10 s (Patroni's loop_wait). */
  readonly pollIntervalMs?: number;
}

export interface WatcherStatus {
  readonly installs: number;
  readonly lastError?: { readonly code: string; readonly message: string };
}

export interface HaproxyWatcher {
  /** Read the cluster now instead of waiting for the next wake-up. */
  refresh(): void;
  status(): WatcherStatus;
  /** Stop after the current step; resolves when the loop has ended. */
  stop(): Promise<void>;
}

/** Start following the cluster. Options are validated first: invalid ones throw before anything runs. */
export function startHaproxyWatcher(options: WatcherOptions): HaproxyWatcher {
  const haproxyOptions = parseHaproxyOptions(options.haproxy);
  const logger = options.logger ?? silentLogger;
  const pollIntervalMs = options.pollIntervalMs ?? 10_000;
  let stopping = false;
  let wake = new AbortController();
  let installs = 0;
  let lastError: WatcherStatus['lastError'];
  let lastRejected: string | undefined;
  let installed: string | undefined;
  const { adminSocket, serverStateFile } = haproxyOptions;
  const serverState = adminSocket !== undefined && serverStateFile !== undefined ? { adminSocket, stateFile: serverStateFile } : undefined;

  const note = (error: unknown): void => {
    const code = isPgwardenError(error) ? error.code : 'haproxy-watcher-failed';
    const message = error instanceof Error ? error.message : String(error);
    lastError = { code, message };
  };

  let lastLeader: string | null | undefined = null;
  let dcsReadable = true;
  const step = async (): Promise<void> => {
    const read = await options.dcs.getCluster();
    if (!read.ok) {
      if (dcsReadable) logger.warn({ reason: read.reason, message: read.message }, 'cannot read the cluster; keeping the installed HAProxy configuration');
      dcsReadable = false;
      return;
    }
    if (!dcsReadable) logger.info({}, 'cluster readable again');
    dcsReadable = true;
    const leader = read.value.leader?.name || undefined;
    if (lastLeader !== null && leader !== lastLeader && options.masterSocket !== undefined) {
      await cutFormerPrimarySessions(read.value, options.masterSocket, logger);
    }
    lastLeader = leader;
    const text = renderHaproxyConfig(read.value, haproxyOptions);
    if (text === installed || text === lastRejected) return;
    try {
      const masterSocket = options.masterSocket;
      const result = await installHaproxyConfig(text, { serverState, ...(masterSocket === undefined ? {} : { masterSocket }), ...options.install, logger });
      installed = text;
      lastRejected = undefined;
      lastError = undefined;
      if (result.changed) installs += 1;
    } catch (error) {
      // Retrying the same text every interval would fail the same way: wait for a different render.
      if (isPgwardenError(error, 'haproxy-config-rejected') || isPgwardenError(error, 'haproxy-reload-rejected')) lastRejected = text;
      throw error;
    }
  };

  const loop = async (): Promise<void> => {
    while (!stopping) {
      try {
        await step();
      } catch (error) {
        const previous = lastError?.message;
        note(error);
        // The same failure every poll interval would bury the first report: log it when it changes.
        if (lastError?.message !== previous) logger.error({ code: lastError?.code, message: lastError?.message }, 'HAProxy configuration not updated');
      }
      if (stopping) break;
      try {
        await options.dcs.watch(pollIntervalMs, wake.signal);
      } catch (error) {
        if (!wake.signal.aborted) {
          logger.warn({ message: error instanceof Error ? error.message : String(error) }, 'DCS watch failed');
          await sleep(pollIntervalMs, wake.signal);
        }
      }
      if (wake.signal.aborted) wake = new AbortController();
    }
  };

  const done = loop();
  return {
    refresh: () => wake.abort(),
    status: () => ({ installs, ...(lastError === undefined ? {} : { lastError }) }),
    async stop() {
      stopping = true;
      wake.abort();
      await done;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
