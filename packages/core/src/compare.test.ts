import { describe, expect, it } from 'vitest';
import { compareCodePoints } from './compare.js';

const names = ['node2', 'Node2', 'node10', 'b', 'B', 'a', '_x', 'node-1', 'node_1', 'é', 'z', '\u{1F600}', '\uFF21', ''];

// python3 -c "print(sorted(['node2', 'Node2', 'node10', 'b', 'B', 'a', '_x', 'node-1', 'node_1', 'é', 'z', '\U0001F600', '\uFF21', '']))"
const pythonSorted = ['', 'B', 'Node2', '_x', 'a', 'b', 'node-1', 'node10', 'node2', 'node_1', 'z', 'é', '\uFF21', '\u{1F600}'];

describe('compareCodePoints', () => {
  it("orders names as Python's sorted() does, as Patroni orders them", () => {
    expect([...names].sort(compareCodePoints)).toEqual(pythonSorted);
  });

  it('puts upper case before lower case and compares digits as characters, unlike localeCompare', () => {
    expect(compareCodePoints('B', 'a')).toBeLessThan(0);
    expect('B'.localeCompare('a', 'en')).toBeGreaterThan(0);
    expect(compareCodePoints('Node2', 'node10')).toBeLessThan(0);
    expect('Node2'.localeCompare('node10', 'en')).toBeGreaterThan(0);
    expect(compareCodePoints('node10', 'node2')).toBeLessThan(0);
    expect(compareCodePoints('node_1', 'node-1')).toBeGreaterThan(0);
    expect('node_1'.localeCompare('node-1', 'en')).toBeLessThan(0);
  });

  it('orders a character beyond U+FFFF after the rest of the BMP, unlike the UTF-16 default sort', () => {
    expect(compareCodePoints('\u{1F600}', '\uFF21')).toBeGreaterThan(0);
    expect(['\u{1F600}', '\uFF21'].sort()).toEqual(['\u{1F600}', '\uFF21']);
    expect(compareCodePoints('a\u{1F600}', 'a\u{1F601}')).toBeLessThan(0);
  });

  it('is zero only for equal strings and puts a prefix first', () => {
    expect(compareCodePoints('node1', 'node1')).toBe(0);
    expect(compareCodePoints('', '')).toBe(0);
    expect(compareCodePoints('node', 'node1')).toBeLessThan(0);
    expect(compareCodePoints('node1', 'node')).toBeGreaterThan(0);
  });
});
