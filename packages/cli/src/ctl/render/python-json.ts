/**
 * JSON as Python's `json.dumps` writes it with default settings, which is what
 * patronictl prints: `, ` and `: ` separators on one line and non-ASCII
 * characters escaped as `\uXXXX`. Scripts compare this text, so it matters.
 */

function escapeString(text: string): string {
  let out = '"';
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    if (character === '"') out += '\\"';
    else if (character === '\\') out += '\\\\';
    else if (character === '\n') out += '\\n';
    else if (character === '\r') out += '\\r';
    else if (character === '\t') out += '\\t';
    else if (character === '\b') out += '\\b';
    else if (character === '\f') out += '\\f';
    else if (code < 0x20 || code > 0x7e) {
      // Astral characters become a surrogate pair, as Python does.
      for (let index = 0; index < character.length; index++) {
        out += `\\u${character.charCodeAt(index).toString(16).padStart(4, '0')}`;
      }
    } else out += character;
  }
  return `${out}"`;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  return String(value);
}

export function toPythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return escapeString(value);
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(toPythonJson).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    return `{${entries.map(([key, item]) => `${escapeString(key)}: ${toPythonJson(item)}`).join(', ')}}`;
  }
  return escapeString(String(value));
}
