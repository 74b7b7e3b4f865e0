/**
 * A `/config` edit reaches PostgreSQL on every member, whichever version the
 * agent happened to see first (the leader writes `/config` after bootstrap;
 * `pgwardenctl edit-config` may overwrite it before the leader's next cycle
 * read it), and a version that changes no parameter does not reload.
 */
import type { Cluster, ClusterConfig, LocalPostgres, PatroniConfig } from '@pgwarden/core';
import { describe, expect, it } from 'vitest';
import { AgentConfiguration } from '../../src/adapters/agent-configuration.js';
import { DynamicParameters } from '../../src/adapters/apply-parameters.js';
import { SettingsTracker } from '../../src/runtime/settings-tracker.js';
import { FakeDcs, memberConfig, RecordingCallbacks, recordingLogger, runningPrimary } from '../doubles.js';

function localConfig(): PatroniConfig {
  return memberConfig(['bootstrap: {dcs: {ttl: 30, loop_wait: 10, postgresql: {parameters: {work_mem: 4MB}}}}'], '/tmp/pgwarden-dynamic-config-test');
}

class RecordingCtl {
  readonly given: Array<Readonly<Record<string, unknown>>> = [];
  local: LocalPostgres = runningPrimary;
  async observe(): Promise<LocalPostgres & { dataDirectory: 'valid' | 'missing'; pendingRestart: Record<string, never> }> {
    return { ...this.local, dataDirectory: 'valid', pendingRestart: {} } as never;
  }
  async setParameters(parameters: Readonly<Record<string, unknown>>): Promise<Record<string, never>> {
    this.given.push(parameters);
    return {};
  }
}

/** The agent as run-agent assembles it, started before `/config` existed (fresh cluster). */
function agentStartedWithoutConfig() {
  const logger = recordingLogger();
  const configuration = new AgentConfiguration(localConfig(), {}, logger);
  const ctl = new RecordingCtl();
  const callbacks = new RecordingCallbacks();
  const parameters = new DynamicParameters(ctl as never, configuration, callbacks, logger);
  const tracker = new SettingsTracker((cluster) => configuration.settingsFor(cluster), new FakeDcs('node1'), logger);
  /** One cycle that read `config`: settings first, the hook after publishing, as AgentRuntime does. */
  const cycle = async (config: ClusterConfig): Promise<void> => {
    const cluster: Cluster = { members: [], lastLsn: 0, config };
    tracker.update(cluster);
    await tracker.applyDynamicConfig(cluster.config, () => parameters.applyIfChanged());
  };
  return { ctl, callbacks, cycle };
}

const configVersion = (version: number, workMem: string): ClusterConfig => ({
  version,
  modifyVersion: version,
  data: { ttl: 30, loop_wait: 10, postgresql: { parameters: { work_mem: workMem } } },
});

describe('dynamic configuration reaching PostgreSQL', () => {
  it('an edit that is the first /config version the agent reads is applied (work_mem 8MB reloaded)', async () => {
    const agent = agentStartedWithoutConfig();
    await agent.cycle(configVersion(7, '8MB'));
    expect(agent.ctl.given.map((parameters) => parameters['work_mem'])).toEqual(['8MB']);
    expect(agent.callbacks.runs).toEqual([['on_reload', 'primary']]);
  });

  it('the /config the leader wrote from the same bootstrap.dcs changes nothing: no reload, no on_reload; the next edit is applied', async () => {
    const agent = agentStartedWithoutConfig();
    await agent.cycle(configVersion(5, '4MB'));
    expect(agent.ctl.given).toEqual([]);
    expect(agent.callbacks.runs).toEqual([]);
    await agent.cycle(configVersion(7, '8MB'));
    await agent.cycle(configVersion(7, '8MB'));
    expect(agent.ctl.given.map((parameters) => parameters['work_mem'])).toEqual(['8MB']);
  });

  it('a /config with maximum_lag_on_syncnode is honoured: it reaches the HA settings and logs no error', () => {
    const logger = recordingLogger();
    const configuration = new AgentConfiguration(localConfig(), {}, logger);
    const settings = configuration.settingsFor({ members: [], lastLsn: 0, config: { version: 3, modifyVersion: 3, data: { ttl: 40, loop_wait: 10, maximum_lag_on_syncnode: 1_000_000 } } });
    expect([settings.ttlSeconds, settings.maximumLagOnSyncnodeBytes]).toEqual([40, 1_000_000]);
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([]);
  });
});
