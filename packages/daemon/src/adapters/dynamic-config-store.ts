/**
 * The local cache of `/config` (spec/config.md §1): every member caches the
 * last `/config` in `<data_dir>/patroni.dynamic.json`. (Writing `/config`
 * when the cluster has none is decide()'s, core's `leader-upkeep` rule.)
 */
import { chown, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterConfig } from '@pgwarden/core';
import { DYNAMIC_CACHE_FILE, writeDynamicConfigCache } from '../config-file.js';
import type { AgentLogger } from '../logger.js';


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
