import { describe, expect, it } from 'vitest';
import { baselineOf, changeMatters } from './watch-baseline.js';

const entry = (key: string, value: string, session?: string) => ({ key: `service/demo/${key}`, value, modifyIndex: 1, ...(session ? { session } : {}) });

describe('what wakes a watch', () => {
  it('a new leader, a leader on a new session, or a deleted leader wakes', () => {
    const before = baselineOf([entry('leader', 'node1', 's1')], 'service/demo');
    expect(changeMatters(before, baselineOf([entry('leader', 'node2', 's2')], 'service/demo'), 'node3')).toBe(true);
    expect(changeMatters(before, baselineOf([entry('leader', 'node1', 's9')], 'service/demo'), 'node3')).toBe(true);
    expect(changeMatters(before, baselineOf([], 'service/demo'), 'node3')).toBe(true);
  });

  it('member traffic never wakes', () => {
    const before = baselineOf([entry('leader', 'node1', 's1'), entry('members/node2', '{"state":"running"}')], 'service/demo');
    const after = baselineOf([entry('leader', 'node1', 's1'), entry('members/node2', '{"state":"starting"}')], 'service/demo');
    expect(changeMatters(before, after, 'node3')).toBe(false);
  });

  it('a status change wakes a replica but not the leader itself', () => {
    const before = baselineOf([entry('leader', 'node1', 's1'), entry('status', '{"optime":1}')], 'service/demo');
    const after = baselineOf([entry('leader', 'node1', 's1'), entry('status', '{"optime":2}')], 'service/demo');
    expect(changeMatters(before, after, 'node2')).toBe(true);
    expect(changeMatters(before, after, 'node1')).toBe(false);
  });

  it('a config change wakes everyone', () => {
    const before = baselineOf([entry('config', '{"ttl":30}')], 'service/demo');
    expect(changeMatters(before, baselineOf([entry('config', '{"ttl":40}')], 'service/demo'), 'node1')).toBe(true);
  });
});
