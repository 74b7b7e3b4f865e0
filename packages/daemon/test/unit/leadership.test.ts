/**
 * Leadership.writableAllowed: what may make PostgreSQL writable, on the
 * test clock (ttl 30, safety margin 5: the lock is ours until renewal + 25 s).
 */
import { describe, expect, it } from 'vitest';
import { Leadership } from '../../src/runtime/leadership.js';
import { runningPrimary, TestClock, testSettings } from '../doubles.js';

function leadership() {
  const clock = new TestClock();
  let ended = 0;
  const lead = new Leadership(clock, () => testSettings, () => (ended += 1));
  return { clock, lead, ended: () => ended };
}

describe('Leadership.writableAllowed', () => {
  it('a promotion needs a held lock within its validity; a start as primary only a validity that has not lapsed', () => {
    const { clock, lead, ended } = leadership();
    expect(lead.writableAllowed(true)).toBe(false); // never held
    expect(lead.writableAllowed(false)).toBe(true); // the agent's own restart: the key may still be ours
    lead.renewed(clock.nowMs());
    clock.advance(24_999);
    expect(lead.writableAllowed(true)).toBe(true);
    clock.advance(1); // the fence fires at renewal + 25 s
    expect(ended()).toBe(1);
    expect(lead.writableAllowed(true)).toBe(false);
    expect(lead.writableAllowed(false)).toBe(false);
    lead.forget(); // the runtime forgets the lock after its last decision: the lapse stays
    expect(lead.writableAllowed(false)).toBe(false);
    lead.renewed(clock.nowMs()); // the DCS confirmed it again
    expect(lead.writableAllowed(true)).toBe(true);
  });

  it('lapse() (a decision on an expired lock) refuses until a confirmation, by the DCS or by every member (failsafe)', () => {
    const { clock, lead } = leadership();
    lead.renewed(clock.nowMs());
    lead.lapse();
    expect(lead.writableAllowed(false)).toBe(false);
    lead.confirmedByFailsafe(clock.nowMs(), runningPrimary);
    expect(lead.writableAllowed(true)).toBe(true);
  });
});
