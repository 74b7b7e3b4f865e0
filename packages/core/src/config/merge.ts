/**
 * Patroni's `patch_config`: the merge rule of configuration files, environment
 * overlay, `PATCH /config` and `edit-config`. `null` deletes a key, two maps
 * merge recursively, anything else replaces.
 */

export type ConfigMap = Record<string, unknown>;

export function isConfigMap(value: unknown): value is ConfigMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Returns a new map: `patch` applied over `base` (neither is modified). */
export function mergeConfig(base: ConfigMap, patch: ConfigMap): ConfigMap {
  const result: ConfigMap = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = result[key];
    if (value === null) delete result[key];
    else if (isConfigMap(value) && isConfigMap(current)) result[key] = mergeConfig(current, value);
    else result[key] = structuredCloneValue(value);
  }
  return result;
}

/** Deep copy of plain YAML/JSON data (maps, lists, scalars). */
export function structuredCloneValue<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => structuredCloneValue(item)) as T;
  if (isConfigMap(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, structuredCloneValue(item)])) as T;
  }
  return value;
}

/** The value at `path`, or undefined. */
export function getAtPath(value: unknown, path: readonly (string | number)[]): unknown {
  let current = value;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isConfigMap(current)) current = current[String(segment)];
    else return undefined;
  }
  return current;
}
