import { describe, expect, it } from 'vitest';
import { decide } from '../../src/ha/index.js';
import { input, leaderInput, peer, unlockedCluster } from './fixtures.js';

describe('decide smoke', () => {
  it('leader renews the lock first, then keeps the primary role', () => {
    const result = decide(leaderInput());
    expect(result.actions[0]?.type).toBe('update-lock');
    expect(result.message).toBe('no action. I am (node1), the leader with the lock');
  });
  it('replica asks peers, then acquires the lock before promoting', () => {
    const c = unlockedCluster();
    const a = decide(input({ cluster: c }));
    expect(a.awaiting).toBe('peers');
    const b = decide(input({ cluster: c, peers: [peer('node1', { reachable: false }), peer('node3', { walPosition: 40_000_000 })] }));
    expect(b.actions.map((action) => action.type)).toEqual(['acquire-lock', 'promote']);
    expect(b.message).toBe('promoted self to leader by acquiring session lock');
  });
});
