/**
 * Dynamic configuration reaching PostgreSQL: after `/config` changed (or
 * the local file was reloaded), the effective parameters are handed to
 * postgres-ctl, which rewrites postgresql.conf and reloads; parameters that
 * need a restart come back as pending_restart (published in the member key
 * and the API), never applied by a surprise restart.
 *
 * A `/config` version whose effective parameters equal those PostgreSQL was
 * last given (typically the first version an agent sees, written from the
 * same bootstrap.dcs it started with) is not applied again: no reload, no
 * on_reload callback — Patroni compares the content the same way.
 */
import type { PostgresCtl } from '@pgwarden/postgres-ctl';
import type { AgentLogger } from '../logger.js';
import type { CallbackPort } from '../ports.js';
import type { AgentConfiguration } from './agent-configuration.js';
import { postgresParameters } from './agent-configuration-map.js';

type CtlForParameters = Pick<PostgresCtl, 'observe' | 'setParameters'>;

export class DynamicParameters {
  /** The parameters postgres-ctl was created with or last given (JSON, for comparison). */
  private applied: string;

  constructor(
    private readonly ctl: CtlForParameters,
    private readonly configuration: Pick<AgentConfiguration, 'effective'>,
    private readonly callbacks: CallbackPort,
    private readonly logger: AgentLogger,
  ) {
    this.applied = this.current();
  }

  /** A new `/config` version: apply it when its parameters differ from those last applied. */
  async applyIfChanged(): Promise<void> {
    if (this.current() === this.applied) return;
    await this.apply();
  }

  /** Apply the effective parameters now (SIGHUP / POST /reload always reload, as in Patroni). */
  async apply(): Promise<void> {
    const local = await this.ctl.observe();
    // Without a data directory (bootstrap, basebackup) there is nothing to reload: keep the
    // difference so that the next version or reload applies it.
    if (local.dataDirectory !== 'valid') return;
    const parameters = postgresParameters(this.configuration.effective) as typeof this.configuration.effective.postgresql.parameters;
    const pending = await this.ctl.setParameters(parameters);
    this.applied = fingerprint(parameters);
    this.logger.info({ parameters: Object.keys(parameters).length, pendingRestart: Object.keys(pending) }, 'PostgreSQL configuration applied');
    if (local.running) this.callbacks.run('on_reload', local.inRecovery ? 'replica' : 'primary');
  }

  private current(): string {
    return fingerprint(postgresParameters(this.configuration.effective));
  }
}

/** Key order differs between bootstrap.dcs and a /config written by another agent: sort it away. */
function fingerprint(parameters: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(Object.entries(parameters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
