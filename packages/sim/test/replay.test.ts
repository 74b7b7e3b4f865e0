import { describe, expect, it } from 'vitest';
import { replayCommand } from '../src/summary.js';

describe('replayCommand', () => {
  it('keeps every option but the seed selection, and the total steps the run was given', () => {
    const argv = ['--seeds', '100', '--from', '61', '--sync', 'quorum', '--fault-rate', '0.03', '--steps', '20000', '--quiet'];
    expect(replayCommand(argv, 91, 20000)).toBe('npm run sim -- --seed 91 --steps 20000 --sync quorum --fault-rate 0.03');
    expect(replayCommand(['--seed', '7'], 7, 20000)).toBe('npm run sim -- --seed 7 --steps 20000');
    expect(replayCommand(['--seeds=40', '--from=3', '--members=5', '--steps=500'], 9, 500)).toBe('npm run sim -- --seed 9 --steps 500 --members=5');
  });
});
