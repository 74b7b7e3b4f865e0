import { describe, expect, it } from 'vitest';
import { parseClusterFromKeys } from './parse-cluster-keys.js';
import { toPatroniJson, toPythonJson } from './patroni-values.js';

describe('parseClusterFromKeys', () => {
  it('a cluster of Patroni-written keys is read with versions, sessions and member data', () => {
    const cluster = parseClusterFromKeys([
      { key: 'leader', value: 'node1', version: 7, session: 's-1' },
      { key: 'members/node2', value: '{"role":"replica","state":"running"}', version: 5, session: 's-2' },
      { key: 'members/node1', value: 'not json', version: 4 },
      { key: 'members/x/y', value: '{}', version: 3 },
      { key: 'config', value: '{"ttl":30}', version: 2 },
      { key: 'status', value: '{"optime":99,"slots":"{\\"a\\":1}"}', version: 6 },
      { key: 'failover', value: '{}', version: 8 },
      { key: 'history', value: '[[1,100,"no recovery target specified"]]', version: 9 },
    ]);
    expect(cluster.leader).toEqual({ name: 'node1', version: 7, session: 's-1' });
    expect(cluster.members.map((member) => member.name)).toEqual(['node1', 'node2']);
    expect(cluster.members[0]?.data).toEqual({});
    expect(cluster.members[1]).toEqual({ name: 'node2', version: 5, session: 's-2', data: { role: 'replica', state: 'running' } });
    expect(cluster.config).toEqual({ version: 2, modifyVersion: 2, data: { ttl: 30 } });
    expect(cluster.lastLsn).toBe(99);
    expect(cluster.slots).toEqual({ a: 1 });
    expect(cluster.failover).toBeUndefined();
    expect(cluster.history?.lines).toHaveLength(1);
  });

  it('an unparsable config is kept with modifyVersion 0 so that it is ignored', () => {
    expect(parseClusterFromKeys([{ key: 'config', value: '{', version: 3 }]).config).toEqual({ version: 3, modifyVersion: 0, data: {} });
  });

  it('the legacy optime/leader key is the status when /status is absent', () => {
    expect(parseClusterFromKeys([{ key: 'optime/leader', value: '1234', version: 1 }]).lastLsn).toBe(1234);
  });
});

describe('toPatroniJson', () => {
  it('writes compact JSON with non-ASCII escaped as Python does', () => {
    expect(toPatroniJson({ a: 1, b: ['é', 'x'] })).toBe('{"a":1,"b":["\\u00e9","x"]}');
  });
});

describe('toPythonJson (json.dumps with default settings)', () => {
  it('separates with ", " and ": " and leaves undefined members out', () => {
    expect(toPythonJson({ state: 'running', lag: 0, tags: { nofailover: true }, gone: undefined, list: [1, null] })).toBe('{"state": "running", "lag": 0, "tags": {"nofailover": true}, "list": [1, null]}');
  });
  it('escapes DEL, non-ASCII and astral characters as Python does', () => {
    expect(toPythonJson('a\u007fé😀"\n')).toBe('"a\\u007f\\u00e9\\ud83d\\ude00\\"\\n"');
    expect(toPythonJson({ 'clé': 1 })).toBe('{"cl\\u00e9": 1}');
  });
  it('spells non-finite numbers as Python does', () => {
    expect(toPythonJson([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5])).toBe('[NaN, Infinity, -Infinity, 1.5]');
  });
});
