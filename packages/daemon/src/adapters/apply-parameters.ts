/**
 * Dynamic configuration reaching PostgreSQL: after `/config` changed (or
 * the local file was reloaded), the effective parameters are handed to
 * postgres-ctl, which rewrites postgresql.conf and reloads; parameters that
 * need a restart come back as pending_restart (published in the member key
 * and the API), never applied by a surprise restart.
 */
import type { PostgresCtl } from '@pgwarden/postgres-ctl';
import type { AgentLogger } from '../logger.js';
import type { CallbackPort } from '../ports.js';
import type { AgentConfiguration } from './agent-configuration.js';

export async function applyDynamicParameters(ctl: PostgresCtl, configuration: AgentConfiguration, callbacks: CallbackPort, logger: AgentLogger): Promise<void> {
  const local = await ctl.observe();
  if (local.dataDirectory !== 'valid') return;
  const parameters = configuration.effective.postgresql.parameters;
  const pending = await ctl.setParameters(parameters);
  logger.info({ parameters: Object.keys(parameters).length, pendingRestart: Object.keys(pending) }, 'PostgreSQL configuration applied');
  if (local.running) callbacks.run('on_reload', local.inRecovery ? 'replica' : 'primary');
}
