/**
 * Start and stop of the postmaster. A start waits for readiness within a
 * bound and, when the postmaster dies instead, fails with the last lines of
 * its log; a stop escalates smart/fast → immediate → SIGKILL of the process
 * group so that a shutdown never hangs without bound (INCIDENTS #8).
 */
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { PgwardenError, type StopMode } from '@pgwarden/core';
import type { Context } from './context.js';
import { commandLineParameters, effectiveParameters } from './config-writer.js';
import { readControlData } from './files/controldata.js';
import { isProcessAlive, killPostmasterTree, livePostmaster, readPidFile, spawnPostmaster } from './postmaster.js';
import { lastLines } from './process/run-command.js';
import { withClient } from './sql/connection.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function readLogTail(context: Context, fromByte: number, lines = 20): string {
  try {
    return lastLines(readFileSync(context.paths.logFile).subarray(fromByte).toString('utf8'), lines);
  } catch {
    return '';
  }
}

export function logSize(context: Context): number {
  try {
    return readFileSync(context.paths.logFile).length;
  } catch {
    return 0;
  }
}

/** Shared-memory settings a standby must not start below (they come from the primary's pg_control). */
const controlDataMinimums: Readonly<Record<string, string>> = {
  max_connections: 'max_connections setting',
  max_prepared_transactions: 'max_prepared_xacts setting',
  max_locks_per_transaction: 'max_locks_per_xact setting',
  max_worker_processes: 'max_worker_processes setting',
  max_wal_senders: 'max_wal_senders setting',
};

export async function postmasterArguments(context: Context, standby: boolean): Promise<Record<string, string>> {
  const commandLine = commandLineParameters(effectiveParameters(context));
  if (!standby) return commandLine;
  const control = await readControlData(context.binaries.pg_controldata, context.paths.dataDir, context.user);
  for (const [name, key] of Object.entries(controlDataMinimums)) {
    const recorded = Number(control?.[key]);
    if (Number.isFinite(recorded) && recorded > Number(commandLine[name] ?? 0)) {
      context.logger.warn({ parameter: name, configured: commandLine[name], recorded }, 'raising parameter to the value of pg_control');
      commandLine[name] = String(recorded);
    }
  }
  return commandLine;
}

export interface SpawnedPostmaster {
  readonly child: ChildProcess;
  readonly pid: number;
}

export async function launchPostmaster(context: Context, standby: boolean): Promise<SpawnedPostmaster & { logOffset: number }> {
  const logOffset = logSize(context);
  const child = spawnPostmaster({
    postgresBinary: context.binaries.postgres,
    dataDir: context.paths.dataDir,
    configFile: context.paths.configFile,
    commandLine: await postmasterArguments(context, standby),
    logFile: context.paths.logFile,
    user: context.user,
  });
  if (child.pid === undefined) throw new PgwardenError('pg-start-failed', 'could not spawn the postmaster');
  return { child, pid: child.pid, logOffset };
}

function classifyStartFailure(log: string): string {
  if (/could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(log)) return 'pg-port-in-use';
  if (/lock file .* already exists/i.test(log)) return 'pg-already-running';
  return 'pg-start-failed';
}

/**
 * Wait until postmaster.pid says `ready` (primary) or `standby` (hot standby
 * open). Returns false on timeout (still starting); throws when it died.
 */
export async function waitUntilReady(context: Context, spawned: SpawnedPostmaster & { logOffset: number }, timeoutMs: number): Promise<boolean> {
  let exited = spawned.child.exitCode !== null || spawned.child.signalCode !== null;
  spawned.child.once('exit', () => {
    exited = true;
  });
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (exited) {
      await sleep(50); // let the last log lines reach the file
      const log = readLogTail(context, spawned.logOffset);
      const code = classifyStartFailure(log);
      const what = code === 'pg-port-in-use' ? `port ${context.port} is already in use` : 'PostgreSQL did not start';
      throw new PgwardenError(code, `${what} (data directory ${context.paths.dataDir}); last lines of ${context.paths.logFile}:\n${log}`);
    }
    const status = readPidFile(context.paths.dataDir);
    if (status?.pid === spawned.pid && (status.status === 'ready' || status.status === 'standby')) return true;
    await sleep(50);
  }
  return false;
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await sleep(5);
  }
  return !isProcessAlive(pid);
}

const stopSignals: Readonly<Record<StopMode, NodeJS.Signals>> = { smart: 'SIGTERM', fast: 'SIGINT', immediate: 'SIGQUIT' };

/** CHECKPOINT before a fast/smart stop shortens the shutdown checkpoint (and the downtime). */
export async function checkpointBeforeStop(context: Context, timeoutMs: number): Promise<void> {
  try {
    await withClient(context.localSettings({ statementTimeoutMs: timeoutMs }), async (client) => {
      await client.query('CHECKPOINT');
    });
  } catch (error) {
    context.logger.warn({ error: (error as Error).message }, 'checkpoint before stop failed; stopping anyway');
  }
}

export type StopOutcome = 'stopped' | 'not-running' | 'escalated-immediate' | 'killed';

export async function signalAndWait(context: Context, mode: StopMode, timeoutMs: number): Promise<StopOutcome> {
  const postmaster = livePostmaster(context.paths.dataDir);
  if (!postmaster) return 'not-running';
  const { pid } = postmaster;
  process.kill(pid, stopSignals[mode]);
  if (await waitForExit(pid, timeoutMs)) return 'stopped';
  if (mode !== 'immediate') {
    context.logger.warn({ pid, mode, timeoutMs }, 'postmaster did not stop in time; escalating to immediate');
    process.kill(pid, 'SIGQUIT');
    if (await waitForExit(pid, Math.min(timeoutMs, 10_000))) return 'escalated-immediate';
  }
  context.logger.error({ pid }, 'postmaster did not stop; killing it and its children');
  killPostmasterTree(pid);
  await waitForExit(pid, 5000);
  return 'killed';
}
