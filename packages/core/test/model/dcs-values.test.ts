import { describe, expect, it } from 'vitest';
import { statusJson, syncJson } from '../../src/model/dcs-values.js';

describe('values as Patroni writes them', () => {
  it('status: optime, slots, retain_slots in that order', () => {
    expect(statusJson({ retain_slots: ['node2'], slots: { node2: 5 }, optime: 10 }, undefined)).toBe(
      '{"optime":10,"slots":{"node2":5},"retain_slots":["node2"]}',
    );
  });

  it('status: an optime alone keeps the slots of the last value', () => {
    expect(statusJson({ optime: 20 }, '{"optime":10,"slots":{"node2":5},"retain_slots":["node2"]}')).toBe(
      '{"optime":20,"slots":{"node2":5},"retain_slots":["node2"]}',
    );
    expect(statusJson({ optime: 20 }, 'not json')).toBe('{"optime":20}');
  });

  it('sync: quorum null outside quorum commit, null standby list when empty', () => {
    expect(syncJson('node1', ['node2', 'node3'], undefined)).toBe('{"leader":"node1","quorum":null,"sync_standby":"node2,node3"}');
    expect(syncJson('node1', [], 1)).toBe('{"leader":"node1","quorum":1,"sync_standby":null}');
  });
});
