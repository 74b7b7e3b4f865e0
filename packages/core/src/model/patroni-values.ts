/**
 * Patroni's value formats, shared by every DCS adapter so that they agree
 * byte for byte on what they write and on how leniently they read
 * (spec/dcs.md §1.1, §2.1). A bad value never makes a whole read fail.
 */

/**
 * JSON exactly as Patroni writes it: Python's `json.dumps(value,
 * separators=(',', ':'))` — JSON.stringify's compact output plus Python's
 * default `ensure_ascii` (every character outside printable ASCII, DEL
 * included, as a lower-case `\uXXXX` escape).
 */
export function toPatroniJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** `JSON.parse` that never throws: undefined for anything unparsable. */
export function parseJsonLeniently(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
