import { describe, expect, it } from 'vitest';
import { toPatroniJson } from './patroni-json.js';

describe('toPatroniJson', () => {
  it('writes compact JSON with separators and no spaces, keys in insertion order', () => {
    expect(toPatroniJson({ leader: 'node1', sync_standby: null, n: [1, 2] })).toBe('{"leader":"node1","sync_standby":null,"n":[1,2]}');
  });

  it('escapes non-ASCII and DEL as lower-case \\uXXXX like Python ensure_ascii, surrogate pairs per unit', () => {
    expect(toPatroniJson({ a: 'é\u007f☃😀' })).toBe('{"a":"\\u00e9\\u007f\\u2603\\ud83d\\ude00"}');
  });

  it('keeps JSON escapes of control characters as Python writes them', () => {
    expect(toPatroniJson('a\n\t"\\\u0001')).toBe('"a\\n\\t\\"\\\\\\u0001"');
  });
});
