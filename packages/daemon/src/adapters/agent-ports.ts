/**
 * The agent's ports over the real adapters (PostgreSQL control, callbacks,
 * dynamic parameters, the watchdog, the peers' REST APIs), built from the
 * configuration: the part of `startAgent` that is wiring, not order.
 */
import { PgwardenError, type PatroniConfig } from '@pgwarden/core';
import { PostgresCtl } from '@pgwarden/postgres-ctl';
import type { AgentLogger } from '../logger.js';
import type { PeerPort, PostgresPort, WatchdogPort } from '../ports.js';
import { CallbackRunner } from '../runtime/callback-runner.js';
import type { PrimaryRoleName } from '../runtime/member-data.js';
import { createHttpPeerPort, type HttpPeerOptions } from '../runtime/peer-client.js';
import { ConfiguredWatchdog, LinuxWatchdog, noWatchdog, type WatchdogSection } from '../runtime/watchdog.js';
import { toPostgresCtlOptions } from './agent-configuration-map.js';
import type { AgentConfiguration } from './agent-configuration.js';
import { DynamicParameters } from './apply-parameters.js';
import { createPostgresPort } from './postgres-port.js';

export interface AgentPorts {
  readonly ctl: PostgresCtl;
  readonly postgres: PostgresPort;
  readonly callbacks: CallbackRunner;
  readonly parameters: DynamicParameters;
  readonly watchdog: WatchdogPort;
  readonly peers: PeerPort;
}

/** `master` under pgwarden.patroni3_compat (Patroni 3.x spelling), else `primary`. */
export function primaryRoleOf(local: PatroniConfig): PrimaryRoleName {
  return local.pgwarden.patroni3_compat ? 'master' : 'primary';
}

export function buildAgentPorts(local: PatroniConfig, configuration: AgentConfiguration, peerOptions: HttpPeerOptions, logger: AgentLogger): AgentPorts {
  const ctl = PostgresCtl.create(toPostgresCtlOptions(configuration.effective), { logger: logger.child({ component: 'postgres' }) });
  const callbacks = new CallbackRunner({
    callbacks: (local.postgresql.callbacks ?? {}) as Record<string, string>,
    scope: local.scope,
    logger: logger.child({ component: 'callbacks' }),
    mode: callbackMode(local),
    primaryRole: primaryRoleOf(local),
  });
  return {
    ctl,
    postgres: createPostgresPort(ctl),
    callbacks,
    parameters: new DynamicParameters(ctl, configuration, callbacks, logger),
    watchdog: buildWatchdog(configuration, logger),
    peers: createHttpPeerPort(peerOptions),
  };
}

function buildWatchdog(configuration: AgentConfiguration, logger: AgentLogger): WatchdogPort {
  // Re-read from the local configuration each time: a reload's new watchdog section takes effect.
  const section = (): WatchdogSection => {
    const watchdog = configuration.local.watchdog as { mode: string; device?: string; safety_margin?: number };
    return {
      mode: watchdog.mode === 'off' ? 'off' : watchdog.mode === 'required' ? 'required' : 'automatic',
      ...(watchdog.device !== undefined ? { device: watchdog.device } : {}),
      ...(watchdog.safety_margin !== undefined ? { safetyMarginSeconds: watchdog.safety_margin } : {}),
    };
  };
  return new ConfiguredWatchdog(
    section,
    (current) =>
      current.mode === 'off'
        ? noWatchdog
        : new LinuxWatchdog({
            ...current,
            ttlSeconds: () => configuration.settings.ttlSeconds,
            loopWaitSeconds: () => configuration.settings.loopWaitSeconds,
            logger,
          }),
    logger,
  );
}

/**
 * pgwarden extension `pgwarden.callback_mode`: `kill-previous` (Patroni's
 * behaviour, the default) or `queue` (every callback runs to its end, in
 * order — INCIDENTS #11).
 */
function callbackMode(local: PatroniConfig): 'kill-previous' | 'queue' {
  const section = (local as Record<string, unknown>)['pgwarden'];
  const mode = typeof section === 'object' && section !== null ? (section as Record<string, unknown>)['callback_mode'] : undefined;
  if (mode === undefined || mode === 'kill-previous') return 'kill-previous';
  if (mode === 'queue') return 'queue';
  throw new PgwardenError('config-invalid', `pgwarden.callback_mode: expected "kill-previous" or "queue", found ${JSON.stringify(mode)}`);
}
