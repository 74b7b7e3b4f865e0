/**
 * Orderings that must not depend on the machine running the agent.
 */

/**
 * Compares two strings by Unicode code point, as Python's `sorted()` orders
 * `str` (which is how Patroni orders member and slot names): `'B' < 'a'`,
 * `'node10' < 'node2'`, no locale, no case folding. Unlike `localeCompare`,
 * the result is the same on every machine and needs no ICU collation data.
 * Unlike `<` on JavaScript strings (UTF-16 code units), a character outside
 * the Basic Multilingual Plane sorts after U+E000–U+FFFF, as in Python.
 * Returns a negative number, zero or a positive number, for `Array#sort`.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; ) {
    const left = a.codePointAt(index) as number;
    const right = b.codePointAt(index) as number;
    if (left !== right) return left < right ? -1 : 1;
    index += left > 0xffff ? 2 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}
