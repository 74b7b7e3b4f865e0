import { describe, expect, it } from 'vitest';
import { FakeDcs, TestClock } from '../../test/doubles.js';
import { boundedDcs } from './bounded-dcs.js';

describe('boundedDcs releaseLeader', () => {
  it('is offered exactly when the adapter offers it, and answers the adapter', async () => {
    const dcs = new FakeDcs('node1');
    const bounded = boundedDcs(dcs, new TestClock(), () => 1000);
    expect(bounded.releaseLeader).toBeUndefined();
    dcs.offerAtomicRelease();
    dcs.leaderOwner = 'node1';
    expect(await bounded.releaseLeader?.({ lastLsn: 7, member: { state: 'stopped' } })).toEqual({ member: { ok: true, value: undefined }, leader: { ok: true, value: undefined } });
    expect(dcs.calls).toEqual(['releaseLeader:stopped']);
  });

  it('past its budget both parts count as unreachable, never as a lost lock', async () => {
    const dcs = new FakeDcs('node1');
    dcs.releaseLeader = () => new Promise(() => undefined);
    const clock = new TestClock();
    const answer = boundedDcs(dcs, clock, () => 500).releaseLeader?.({ member: { state: 'stopped' } });
    clock.advance(500);
    const outcome = await answer;
    expect(outcome?.member).toMatchObject({ ok: false, reason: 'unreachable' });
    expect(outcome?.leader).toMatchObject({ ok: false, reason: 'unreachable', message: 'release leader lock: no answer within 500 ms' });
  });
});
