/**
 * Keeping `/config` and its local cache (spec/ha-loop.md §4 step 4,
 * spec/config.md §1): the lock owner writes the dynamic configuration to
 * `/config` when the key is missing or empty (after bootstrap, or after a
 * wiped DCS), create-only so it never overwrites an operator's edit; every
 * member caches the last `/config` in `<data_dir>/patroni.dynamic.json`.
 */
import { chown, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterConfig, Dcs } from '@pgwarden/core';
import { DYNAMIC_CACHE_FILE, writeDynamicConfigCache } from '../config-file.js';
import type { AgentLogger } from '../logger.js';
import type { CycleSnapshot } from '../runtime/runtime-types.js';
import type { AgentConfiguration } from './agent-configuration.js';

export async function ensureClusterConfig(dcs: Dcs, configuration: AgentConfiguration, snapshot: CycleSnapshot, logger: AgentLogger): Promise<void> {
  const { cluster } = snapshot;
  if (cluster === undefined || cluster.leader?.name !== snapshot.self.name || snapshot.lockRenewedAtMs === undefined) return;
  const config = cluster.config;
  if (config !== undefined && Object.keys(config.data).length > 0) return;
  const value = JSON.parse(JSON.stringify(configuration.dynamic)) as Record<string, unknown>;
  const written = await dcs.setConfig(value, config?.version ?? 0);
  if (written.ok) logger.info({}, 'wrote the dynamic configuration to the DCS /config key');
  else logger.warn({ error: written.message }, 'could not write /config');
}

/** Cache the cluster's /config beside the data, owned like the data directory (basebackup reads it). */
export async function cacheClusterConfig(dataDir: string, config: ClusterConfig, logger: AgentLogger): Promise<void> {
  try {
    const owner = await stat(dataDir);
    await writeDynamicConfigCache(dataDir, config.data);
    await chown(join(dataDir, DYNAMIC_CACHE_FILE), owner.uid, owner.gid);
  } catch (error) {
    logger.debug({ error: String(error) }, 'could not cache the dynamic configuration');
  }
}
