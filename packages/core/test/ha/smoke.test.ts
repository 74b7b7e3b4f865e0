import { describe, expect, it } from 'vitest';
import { decide } from '../../src/ha/index.js';
import { HELD, LOST, input, leaderInput, peer, unlockedCluster } from './fixtures.js';

describe('decide smoke', () => {
  it('leader renews then keeps the lock', () => {
    const first = decide(leaderInput());
    expect(first.awaiting).toBe('lock');
    const second = decide(leaderInput({ lock: HELD, memory: first.memory }));
    expect(second.message).toBe('no action. I am (node1), the leader with the lock');
  });
  it('leader demotes when lock lost', () => {
    const result = decide(leaderInput({ lock: LOST }));
    expect(result.actions).toEqual([{ type: 'demote', mode: 'immediate-nolock' }]);
  });
  it('replica races and promotes', () => {
    const c = unlockedCluster();
    const a = decide(input({ cluster: c }));
    expect(a.awaiting).toBe('peers');
    const b = decide(input({ cluster: c, peers: [peer('node1', { reachable: false }), peer('node3', { walPosition: 40_000_000 })] }));
    expect(b.actions).toEqual([{ type: 'acquire-lock' }]);
    const d = decide(input({ cluster: c, peers: [], lock: HELD }));
    expect(d.message).toBe('promoted self to leader by acquiring session lock');
    expect(d.actions.at(-1)).toEqual({ type: 'promote' });
  });
});
