/**
 * JSON exactly as Patroni writes it: Python's `json.dumps(value,
 * separators=(',', ':'))`. That is JSON.stringify's compact output plus
 * Python's default `ensure_ascii`: every character outside printable ASCII
 * (including DEL) is written as a lower-case `\uXXXX` escape, so a value
 * written by pgwarden is byte-for-byte the one Patroni would write.
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
