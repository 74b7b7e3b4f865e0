/**
 * JSON as Python's json.dumps writes it with default settings, which is what
 * Patroni answers: `", "` and `": "` separators and non-ASCII characters
 * escaped as \uXXXX. Parsers do not care, but scripts and HAProxy
 * `http-check expect string` rules written against Patroni's bytes do.
 */

function escapeNonAscii(json: string): string {
  return json.replace(/[\u0080-\uffff]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return escapeNonAscii(JSON.stringify(value));
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    return `{${entries.map(([key, item]) => `${escapeNonAscii(JSON.stringify(key))}: ${pythonJson(item)}`).join(', ')}}`;
  }
  return 'null';
}
