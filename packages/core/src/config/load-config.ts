/**
 * Loading a local configuration as Patroni does: files merged in order, the
 * `PATRONI_*` environment over them, legacy shapes converted, then validated.
 * Every problem of every source is returned at once, each with its position;
 * nothing here throws for bad input.
 */
import { readEnvironmentConfig, type Environment } from './environment.js';
import type { ConfigIssue, ConfigIssueSource } from './issues.js';
import { isConfigMap, mergeConfig, type ConfigMap } from './merge.js';
import { configSchema, type PatroniConfig } from './schema.js';
import { checkTimingRules, collectWarnings } from './semantic-checks.js';
import { checkUnsupportedSettings } from './unsupported-settings.js';
import { parseYamlSource, type ParsedYaml } from './yaml-source.js';
import { fromZodIssues, locatePath, type IssueLocator } from './zod-issues.js';

export interface ConfigSourceText {
  /** Shown in messages: the path of the file, or `PATRONI_CONFIGURATION`. */
  readonly file: string;
  readonly text: string;
}

export interface LoadConfigOptions {
  /** The process environment (core never reads it itself). */
  readonly env?: Environment;
  /**
   * `validate` (`--validate-config`): bootstrap.dcs timings below their minimum
   * or breaking `loop_wait + 2*retry_timeout <= ttl` are errors.
   * `run` (the agent, default): they are warnings and get adjusted, as Patroni does.
   */
  readonly mode?: 'validate' | 'run';
}

export type LoadConfigResult =
  | {
      readonly ok: true;
      readonly config: PatroniConfig;
      readonly warnings: readonly ConfigIssue[];
      readonly consumedEnv: readonly string[];
      /** Where a key was written (file position or variable), for problems found later (e.g. a missing binary). */
      readonly locate: (path: readonly (string | number)[]) => ConfigIssueSource | undefined;
    }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[]; readonly consumedEnv: readonly string[] };

/** Maps whose empty entries mean something: `slot_name:` alone is a physical slot. */
const KEEP_EMPTY_ENTRIES = new Set(['slots', 'permanent_slots', 'permanent_replication_slots']);

/**
 * `tags:` or `parameters:` whose lines are all commented out is an empty
 * value; Patroni reads it as "nothing set" (`value or {}`), so do we.
 */
function dropEmptyValues(value: ConfigMap): ConfigMap {
  const result: ConfigMap = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null) continue;
    result[key] = isConfigMap(item) && !KEEP_EMPTY_ENTRIES.has(key) ? dropEmptyValues(item) : item;
  }
  return result;
}

/** Old spellings Patroni still reads: postgresql.name, credentials beside `authentication`. */
function convertLegacyShapes(config: ConfigMap): ConfigMap {
  const postgresql = config['postgresql'];
  if (!isConfigMap(postgresql)) return config;
  const result: ConfigMap = { ...config, postgresql: { ...postgresql } };
  const pg = result['postgresql'] as ConfigMap;
  if (result['name'] === undefined && typeof pg['name'] === 'string') result['name'] = pg['name'];
  if (pg['authentication'] === undefined && (pg['superuser'] !== undefined || pg['replication'] !== undefined)) {
    const authentication: ConfigMap = {};
    for (const user of ['superuser', 'replication']) if (pg[user] !== undefined) authentication[user] = pg[user];
    if (isConfigMap(pg['pg_rewind'])) {
      authentication['rewind'] = pg['pg_rewind'];
      pg['use_pg_rewind'] ??= true;
    }
    pg['authentication'] = authentication;
  }
  return result;
}

function sourcesOrEnvironment(sources: readonly ConfigSourceText[], env: Environment) {
  const inline = env['PATRONI_CONFIGURATION'];
  if (sources.length > 0 || !inline) return { texts: sources, useEnv: true };
  return { texts: [{ file: 'PATRONI_CONFIGURATION', text: inline }], useEnv: false };
}

/** Problems in reading order: by file (in load order), line and column; environment ones after. */
function sortIssues(issues: readonly ConfigIssue[], files: readonly string[]): ConfigIssue[] {
  const rank = (issue: ConfigIssue): [number, number, number] => {
    const source = issue.source;
    if (source?.kind === 'file') return [files.indexOf(source.file), source.line, source.column];
    return [source?.kind === 'env' ? files.length : files.length + 1, 0, 0];
  };
  return [...issues].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
}

/** Loads and validates the local configuration from its YAML sources (merged in the given order). */
export function loadConfig(sources: readonly ConfigSourceText[], options: LoadConfigOptions = {}): LoadConfigResult {
  const env = options.env ?? {};
  const { texts, useEnv } = sourcesOrEnvironment(sources, env);
  const parsed: ParsedYaml[] = texts.map((source) => parseYamlSource(source.text, source.file));
  const environment = useEnv ? readEnvironmentConfig(env) : { config: {}, consumed: ['PATRONI_CONFIGURATION'], origins: new Map<string, string>() };
  const consumedEnv = environment.consumed;
  const syntaxIssues = parsed.flatMap((source) => source.issues);
  if (syntaxIssues.length > 0) return { ok: false, issues: syntaxIssues, consumedEnv };

  const locator: IssueLocator = { sources: parsed, envOrigins: environment.origins };
  let merged: ConfigMap = {};
  const issues: ConfigIssue[] = [];
  for (const source of parsed) {
    if (source.value === null || source.value === undefined) continue;
    if (!isConfigMap(source.value)) {
      issues.push({ severity: 'error', path: '', message: 'expected a map of settings at the top level', source: { kind: 'file', file: source.file, line: 1, column: 1 } });
      continue;
    }
    merged = mergeConfig(merged, dropEmptyValues(source.value));
  }
  merged = convertLegacyShapes(mergeConfig(merged, environment.config));
  if (issues.length > 0) return { ok: false, issues, consumedEnv };
  if (Object.keys(merged).length === 0) {
    const file = parsed[0]?.file;
    const source = file ? { kind: 'file' as const, file, line: 1, column: 1 } : undefined;
    return { ok: false, issues: [{ severity: 'error', path: '', message: 'the configuration is empty', ...(source ? { source } : {}) }], consumedEnv };
  }

  const result = configSchema.safeParse(merged);
  const timing = checkTimingRules(merged, options.mode ?? 'run', locator);
  const unsupported = checkUnsupportedSettings(merged, locator);
  if (!result.success) {
    const errors = [...fromZodIssues(result.error.issues, merged, locator), ...timing.filter((issue) => issue.severity === 'error'), ...unsupported];
    return { ok: false, issues: sortIssues(errors, texts.map((text) => text.file)), consumedEnv };
  }
  const all = sortIssues([...timing, ...unsupported, ...collectWarnings(result.data, merged, locator)], texts.map((text) => text.file));
  const errors = all.filter((issue) => issue.severity === 'error');
  if (errors.length > 0) return { ok: false, issues: all, consumedEnv };
  return { ok: true, config: result.data, warnings: all, consumedEnv, locate: (path) => locatePath(path, locator) };
}
