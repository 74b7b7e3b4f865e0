/**
 * Patroni's value formats, shared by every DCS adapter so that they agree
 * byte for byte on what they write and on how leniently they read
 * (spec/dcs.md §1.1, §2.1). A bad value never makes a whole read fail.
 */

/** Python's `ensure_ascii`: every character outside printable ASCII (DEL included) as a lower-case `\uXXXX` escape, astral ones as a surrogate pair. */
function escapeNonAscii(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JSON exactly as Patroni writes it into the DCS: Python's `json.dumps(value,
 * separators=(',', ':'))` — JSON.stringify's compact output plus Python's
 * default `ensure_ascii`.
 */
export function toPatroniJson(value: unknown): string {
  return escapeNonAscii(JSON.stringify(value) ?? 'null');
}

/**
 * JSON as Python's `json.dumps(value)` writes it with default settings — what
 * Patroni's REST API answers and patronictl prints: `, ` and `: ` separators
 * on one line, `ensure_ascii`, NaN and Infinity spelled as Python does.
 * Parsers do not care; scripts and HAProxy `http-check expect string` rules
 * written against Patroni's bytes do. Undefined members are left out.
 */
export function toPythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return escapeNonAscii(JSON.stringify(value));
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(toPythonJson).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    return `{${entries.map(([key, item]) => `${escapeNonAscii(JSON.stringify(key))}: ${toPythonJson(item)}`).join(', ')}}`;
  }
  return escapeNonAscii(JSON.stringify(String(value)));
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
