/**
 * The agent's configuration as it evolves: the local file (reloaded on
 * SIGHUP) and the dynamic `/config` of the DCS (read every cycle). The
 * effective configuration and the HA settings are rebuilt only when one of
 * them changes, and a `/config` that cannot be parsed (modifyVersion 0) or
 * is empty never replaces the last good one — protection against a wiped
 * or corrupted DCS (spec/ha-loop.md §4 step 1).
 */
import {
  buildEffectiveConfig,
  resolveDynamicConfig,
  toHaSettings,
  unsupportedDynamicSettings,
  type Cluster,
  type DynamicConfig,
  type EffectiveConfig,
  type HaSettings,
  type PatroniConfig,
} from '@pgwarden/core';
import type { AgentLogger } from '../logger.js';

/**
 * A dynamic setting pgwarden does not honour cannot be refused like a local
 * one (the cluster's `/config` may come from Patroni members during a
 * migration): it is logged at error level each time the configuration is read.
 */
function reportUnsupported(dynamic: DynamicConfig, source: string, logger: AgentLogger): void {
  for (const line of unsupportedDynamicSettings(dynamic)) logger.error({ source }, line);
}

export class AgentConfiguration {
  private dynamicVersion: number | undefined;
  private dynamicValue: DynamicConfig;
  private effectiveValue: EffectiveConfig;
  private settingsValue: HaSettings;

  constructor(
    private localValue: PatroniConfig,
    initialDynamic: { cached?: unknown; dcs?: unknown },
    private readonly logger: AgentLogger,
  ) {
    const resolved = resolveDynamicConfig({ ...initialDynamic, bootstrapDcs: localValue.bootstrap?.dcs });
    for (const warning of resolved.warnings) logger.warn({ source: resolved.source }, warning);
    reportUnsupported(resolved.config, resolved.source, logger);
    this.dynamicValue = resolved.config;
    this.effectiveValue = this.build();
    this.settingsValue = toHaSettings(this.effectiveValue);
  }

  get local(): PatroniConfig {
    return this.localValue;
  }
  get dynamic(): DynamicConfig {
    return this.dynamicValue;
  }
  get effective(): EffectiveConfig {
    return this.effectiveValue;
  }
  get settings(): HaSettings {
    return this.settingsValue;
  }

  /** Settings for a cycle that read `cluster` (undefined: DCS unreachable, keep the last). */
  settingsFor(cluster: Cluster | undefined): HaSettings {
    const config = cluster?.config;
    if (config === undefined || config.modifyVersion === 0 || Object.keys(config.data).length === 0) return this.settingsValue;
    if (config.version === this.dynamicVersion) return this.settingsValue;
    this.dynamicVersion = config.version;
    const resolved = resolveDynamicConfig({ dcs: config.data });
    for (const warning of resolved.warnings) this.logger.warn({ source: 'dcs' }, warning);
    reportUnsupported(resolved.config, 'dcs', this.logger);
    this.dynamicValue = resolved.config;
    this.rebuild();
    return this.settingsValue;
  }

  /** A reloaded local file. */
  replaceLocal(local: PatroniConfig): void {
    this.localValue = local;
    this.rebuild();
  }

  private rebuild(): void {
    this.effectiveValue = this.build();
    this.settingsValue = toHaSettings(this.effectiveValue);
  }

  private build(): EffectiveConfig {
    const { config, warnings } = buildEffectiveConfig(this.localValue, this.dynamicValue);
    for (const warning of warnings) this.logger.warn({}, warning);
    return config;
  }
}
