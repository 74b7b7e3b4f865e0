/**
 * Which dynamic configuration applies, and reading it leniently. The DCS
 * `/config` value is written by people (edit-config, PATCH /config) and by
 * other versions; one bad field must not stop the agent, so bad fields are
 * dropped with a warning and their defaults apply, as Patroni's global config
 * falls back per value.
 */
import { formatConfigPath } from './issues.js';
import { isConfigMap, structuredCloneValue, type ConfigMap } from './merge.js';
import { dynamicConfigSchema, type DynamicConfig } from './schema-dynamic.js';

export interface ParsedDynamicConfig {
  readonly config: DynamicConfig;
  readonly warnings: readonly string[];
}

function deleteAtPath(value: ConfigMap, path: readonly (string | number)[]): boolean {
  let current: unknown = value;
  for (const segment of path.slice(0, -1)) {
    current = Array.isArray(current) ? current[Number(segment)] : isConfigMap(current) ? current[String(segment)] : undefined;
  }
  const last = path[path.length - 1];
  if (last === undefined) return false;
  if (Array.isArray(current) && typeof last === 'number') current.splice(last, 1);
  else if (isConfigMap(current)) delete current[String(last)];
  else return false;
  return true;
}

/** Parses a dynamic configuration (JSON of `/config`, the local cache or bootstrap.dcs), dropping invalid fields. */
export function parseDynamicConfig(value: unknown): ParsedDynamicConfig {
  if (!isConfigMap(value)) {
    return { config: dynamicConfigSchema.parse({}), warnings: value === undefined || value === null ? [] : ['dynamic configuration is not a map, using defaults'] };
  }
  const working = structuredCloneValue(value);
  const warnings: string[] = [];
  // Each round removes every invalid field; nesting can reveal a few more.
  for (let round = 0; round < 10; round += 1) {
    const result = dynamicConfigSchema.safeParse(working);
    if (result.success) return { config: result.data, warnings };
    let removed = false;
    for (const issue of result.error.issues) {
      warnings.push(`dynamic configuration ${formatConfigPath(issue.path)}: ${issue.message}, ignoring it`);
      removed = deleteAtPath(working, issue.path) || removed;
    }
    if (!removed) break;
  }
  return { config: dynamicConfigSchema.parse({}), warnings: [...warnings, 'dynamic configuration unusable, using defaults'] };
}

export interface DynamicConfigCandidates {
  /** The parsed JSON of the DCS `/config` key, when it exists. */
  readonly dcs?: unknown;
  /** The parsed `<data_dir>/patroni.dynamic.json` cache, when present. */
  readonly cached?: unknown;
  /** `bootstrap.dcs` of the local configuration. */
  readonly bootstrapDcs?: unknown;
}

export interface ResolvedDynamicConfig extends ParsedDynamicConfig {
  readonly source: 'dcs' | 'cache' | 'bootstrap' | 'defaults';
}

const nonEmpty = (value: unknown): boolean => isConfigMap(value) && Object.keys(value).length > 0;

/**
 * Patroni's choice: a non-empty `/config` replaces everything else (it is not
 * merged over bootstrap.dcs: bootstrap.dcs only seeds `/config` once); before
 * the cluster has one, the local cache, then bootstrap.dcs.
 */
export function resolveDynamicConfig(candidates: DynamicConfigCandidates): ResolvedDynamicConfig {
  if (nonEmpty(candidates.dcs)) return { ...parseDynamicConfig(candidates.dcs), source: 'dcs' };
  if (nonEmpty(candidates.cached)) return { ...parseDynamicConfig(candidates.cached), source: 'cache' };
  if (nonEmpty(candidates.bootstrapDcs)) return { ...parseDynamicConfig(candidates.bootstrapDcs), source: 'bootstrap' };
  return { ...parseDynamicConfig({}), source: 'defaults' };
}
