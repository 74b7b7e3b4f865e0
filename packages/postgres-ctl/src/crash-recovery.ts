/**
 * Single-user crash recovery: a former primary that crashed has pg_control
 * `in production`; pg_rewind refuses such a target. Running the server in
 * single-user mode with no input replays WAL to a consistent state and shuts
 * down cleanly.
 */
import { PgwardenError } from '@pgwarden/core';
import type { Context } from './context.js';
import { readControlData } from './files/controldata.js';
import { writeRecoverySignal } from './files/config-files.js';
import { livePostmaster } from './postmaster.js';
import { describeFailure, runCommand } from './process/run-command.js';

const cleanStates = ['shut down', 'shut down in recovery'];

export async function isCleanlyShutDown(context: Context): Promise<boolean> {
  const control = await readControlData(context.binaries.pg_controldata, context.paths.dataDir, context.user);
  return cleanStates.includes(control?.['Database cluster state'] ?? '');
}

export async function runCrashRecovery(context: Context): Promise<void> {
  if (livePostmaster(context.paths.dataDir)) throw new PgwardenError('pg-running', 'crash recovery needs PostgreSQL stopped');
  if (await isCleanlyShutDown(context)) return;
  // Single-user mode refuses standby mode; the standby configuration is rewritten at the next start.
  // archive_command=false keeps not-yet-archived segments marked .ready instead of recycling them.
  writeRecoverySignal(context.paths.dataDir, 'none', context.user);
  context.logger.info({ dataDir: context.paths.dataDir }, 'running single-user crash recovery');
  const result = await runCommand(
    context.binaries.postgres,
    ['--single', '-D', context.paths.dataDir, `--config-file=${context.paths.configFile}`, '-c', 'archive_mode=on', '-c', 'archive_command=false', context.options.database],
    { user: context.user, timeoutMs: context.options.pg_ctl_timeout * 1000 * 10, stdin: '' },
  );
  if (result.code !== 0 || !(await isCleanlyShutDown(context))) {
    throw new PgwardenError('pg-crash-recovery-failed', describeFailure('single-user crash recovery', result));
  }
}
