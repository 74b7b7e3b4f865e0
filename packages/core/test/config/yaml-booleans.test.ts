import { describe, expect, it } from 'vitest';
import { parseYamlSource } from '../../src/config/yaml-source.js';

// Patroni reads its file with PyYAML: YAML 1.1 booleans, but only the words
// PyYAML knows. A member called "n" or "y" must stay a string.
describe('YAML scalars read as PyYAML reads them', () => {
  it('keeps y, Y, n and N as strings', () => {
    const parsed = parseYamlSource('a: y\nb: Y\nc: n\nd: N\n', 'test.yml');
    expect(parsed.value).toEqual({ a: 'y', b: 'Y', c: 'n', d: 'N' });
  });
  it('reads on/off/yes/no/true/false in their three spellings as booleans', () => {
    const parsed = parseYamlSource('a: on\nb: Off\nc: YES\nd: no\ne: True\nf: FALSE\n', 'test.yml');
    expect(parsed.value).toEqual({ a: true, b: false, c: true, d: false, e: true, f: false });
  });
  it('reads a leading-zero number as octal, as YAML 1.1 does', () => {
    expect(parseYamlSource('mode: 0755\n', 'test.yml').value).toEqual({ mode: 493 });
  });
});
