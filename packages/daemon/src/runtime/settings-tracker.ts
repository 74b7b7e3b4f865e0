/**
 * The HA settings of each cycle and the dynamic configuration behind them:
 * new timings reach the DCS client at once (a ttl change renews the lease),
 * and each new `/config` version is handed to the agent's hook once —
 * including the first one seen. Whether a version changes anything for
 * PostgreSQL is the hook's call (it compares parameters): the tracker cannot
 * know what the adapters were built from (bootstrap.dcs, the local cache, or
 * an older version), and skipping the first version lost an edit made right
 * after the leader wrote `/config` (the edit became the first version seen).
 */
import type { Cluster, ClusterConfig, Dcs, HaSettings } from '@pgwarden/core';
import type { AgentLogger } from '../logger.js';
import { describeError } from './background-slot.js';

export class SettingsTracker {
  private currentSettings: HaSettings;
  private appliedConfigVersion: number | undefined;

  constructor(
    private readonly settingsFor: (cluster: Cluster | undefined) => HaSettings,
    private readonly dcs: Dcs,
    private readonly logger: AgentLogger,
  ) {
    this.currentSettings = settingsFor(undefined);
  }

  get current(): HaSettings {
    return this.currentSettings;
  }

  update(cluster: Cluster | undefined): HaSettings {
    const previous = this.currentSettings;
    const next = this.settingsFor(cluster);
    this.currentSettings = next;
    if (
      previous.ttlSeconds !== next.ttlSeconds ||
      previous.loopWaitSeconds !== next.loopWaitSeconds ||
      previous.retryTimeoutSeconds !== next.retryTimeoutSeconds
    ) {
      this.dcs.configure({ ttlSeconds: next.ttlSeconds, loopWaitSeconds: next.loopWaitSeconds, retryTimeoutSeconds: next.retryTimeoutSeconds });
      this.logger.info({ ttl: next.ttlSeconds, loop_wait: next.loopWaitSeconds, retry_timeout: next.retryTimeoutSeconds }, 'HA timings changed');
    }
    return next;
  }

  /** Hand each new `/config` version, the first included, to `apply` (an unparsable one, modifyVersion 0, never). */
  async applyDynamicConfig(config: ClusterConfig | undefined, apply: ((config: ClusterConfig) => Promise<void>) | undefined): Promise<void> {
    if (config === undefined || config.modifyVersion === 0 || config.version === this.appliedConfigVersion) return;
    this.appliedConfigVersion = config.version;
    if (apply === undefined) return;
    try {
      await apply(config);
    } catch (error) {
      this.logger.error({ error: describeError(error) }, 'could not apply the dynamic configuration');
    }
  }
}
