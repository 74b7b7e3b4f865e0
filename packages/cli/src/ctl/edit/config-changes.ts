/**
 * edit-config's ways of changing `/config` without an editor:
 * `--set a.b.c=VALUE` (dotted path, VALUE parsed as YAML 1.1, `null` or an
 * empty value deletes, emptied maps are pruned; under
 * `postgresql.parameters` the rest of the path is one GUC name, so
 * `--pg pg_stat_statements.max=1000` works), `--pg K=V` (shorthand for
 * `--set postgresql.parameters.K=V`), and `--apply` (the merge patch of
 * spec/config.md §1.1). Pure functions over plain JSON values.
 */
import { PgwardenError } from '@pgwarden/core';
import { parseYaml11 } from '../render/config-yaml.js';

export type ConfigData = Record<string, unknown>;

function isObject(value: unknown): value is ConfigData {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function setPathValue(config: ConfigData, path: readonly string[], value: unknown, prefix: readonly string[]): void {
  const effective = prefix.join('.') === 'postgresql.parameters' ? [path.join('.')] : path;
  const [key, ...rest] = effective;
  if (key === undefined) return;
  if (rest.length === 0) {
    if (value === null) delete config[key];
    else config[key] = value;
    return;
  }
  if (!isObject(config[key])) config[key] = {};
  const child = config[key] as ConfigData;
  setPathValue(child, rest, value, [...prefix, key]);
  if (Object.keys(child).length === 0) delete config[key];
}

/** Apply `path=value` pairs; throws `invalid-parameter` for a pair without `=`. */
export function applyKeyValuePairs(data: ConfigData, pairs: readonly string[]): ConfigData {
  const changed = clone(data);
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (pair === '' || at < 0) throw new PgwardenError('invalid-parameter', `Invalid parameter setting ${pair}`);
    const path = pair.slice(0, at).trim().split('.');
    let value: unknown;
    try {
      value = parseYaml11(pair.slice(at + 1));
    } catch (error) {
      throw new PgwardenError('invalid-parameter', `Invalid value in ${pair}: ${(error as Error).message.split('\n')[0]}`);
    }
    setPathValue(changed, path, value, []);
  }
  return changed;
}

/** `--pg K=V` pairs as `--set` pairs. */
export function pgPairsAsSetPairs(pairs: readonly string[]): string[] {
  return pairs.map((pair) => `postgresql.parameters.${pair.trimStart()}`);
}

function sameScalar(left: unknown, right: unknown): boolean {
  return String(left) === String(right) && typeof left === typeof right;
}

/** Merge patch (spec/config.md §1.1): null deletes, objects merge, differing values replace. */
export function mergePatch(target: ConfigData, patch: ConfigData): ConfigData {
  const result = clone(target);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (isObject(value) && isObject(result[key])) result[key] = mergePatch(result[key] as ConfigData, value);
    else if (!(key in result) || !sameScalar(result[key], value) || isObject(value)) result[key] = clone(value);
  }
  return result;
}

/** Remove null values recursively: a `--replace` file's nulls mean "absent". */
export function dropNulls(data: ConfigData): ConfigData {
  return mergePatch({}, data);
}

/** Deep equality of JSON values (key order ignored). */
export function deepEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, index) => deepEqual(item, right[index]));
  }
  if (isObject(left) && isObject(right)) {
    const keys = Object.keys(left);
    return keys.length === Object.keys(right).length && keys.every((key) => key in right && deepEqual(left[key], right[key]));
  }
  return false;
}

/** Parse YAML text that must hold a mapping (a config file or the edited buffer). */
export function parseConfigText(text: string, source: string): ConfigData {
  let parsed: unknown;
  try {
    parsed = parseYaml11(text);
  } catch (error) {
    throw new PgwardenError('invalid-config', `${source} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null) return {};
  if (!isObject(parsed)) throw new PgwardenError('invalid-config', `${source} must contain a YAML mapping`);
  return parsed;
}
