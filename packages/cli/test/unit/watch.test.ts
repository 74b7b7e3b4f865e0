import { describe, expect, it } from 'vitest';
import { repeatView, watchInterval } from '../../src/ctl/commands/watch.js';
import { createScriptedIo } from '../helpers/scripted-io.js';

describe('-W / -w SEC', () => {
  it('maps -W to 2 seconds and -w to its value; nothing means once', () => {
    expect(watchInterval(true, undefined)).toBe(2);
    expect(watchInterval(undefined, '5')).toBe(5);
    expect(watchInterval(undefined, undefined)).toBeUndefined();
  });

  it('shows the view again after each interval until interrupted', async () => {
    const io = createScriptedIo();
    const waits: number[] = [];
    let shown = 0;
    const stop = new Error('interrupted');
    const watching = repeatView({ ...io, sleep: async (ms) => void waits.push(ms) }, 3, async () => {
      shown++;
      if (shown === 3) throw stop;
    });
    await expect(watching).rejects.toBe(stop);
    expect(waits).toEqual([3000, 3000]);
  });

  it('shows the view once without an interval', async () => {
    let shown = 0;
    expect(await repeatView(createScriptedIo(), undefined, async () => void shown++)).toBe(0);
    expect(shown).toBe(1);
  });
});
