/**
 * Patroni's `/config` merge rules (spec/rest-api.md §6.1): `null` deletes a
 * key, objects merge recursively, scalars are replaced only when their
 * string forms differ, new keys are added. Pure: the input is not modified.
 */
import { pythonString } from './parse-values.js';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Apply `patch` to a copy of `config`; `changed` is false when the result equals the input. */
export function patchConfig(config: Readonly<JsonObject>, patch: Readonly<JsonObject>): { value: JsonObject; changed: boolean } {
  const value: JsonObject = { ...config };
  let changed = false;
  for (const [name, patchValue] of Object.entries(patch)) {
    const current = value[name];
    if (patchValue === null) {
      if (name in value) {
        delete value[name];
        // Patroni counts a removal as a change only when the removed value was not null.
        if (current !== null && current !== undefined) changed = true;
      }
    } else if (!(name in value)) {
      value[name] = patchValue;
      changed = true;
    } else if (isObject(patchValue)) {
      if (isObject(current)) {
        const nested = patchConfig(current, patchValue);
        value[name] = nested.value;
        changed ||= nested.changed;
      } else {
        value[name] = patchValue;
        changed = true;
      }
    } else if (pythonString(current) !== pythonString(patchValue)) {
      value[name] = patchValue;
      changed = true;
    }
  }
  return { value, changed };
}

/** Patroni's deep_compare: same keys, nested objects equal, scalars equal by string form. */
export function deepCompare(left: Readonly<JsonObject>, right: Readonly<JsonObject>): boolean {
  const leftKeys = Object.keys(left);
  const rightKeys = new Set(Object.keys(right));
  if (leftKeys.length !== rightKeys.size || leftKeys.some((key) => !rightKeys.has(key))) return false;
  return leftKeys.every((key) => {
    const value = left[key];
    const other = right[key];
    if (isObject(value)) return isObject(other) && deepCompare(value, other);
    return pythonString(value) !== pythonString(other) ? false : true;
  });
}
