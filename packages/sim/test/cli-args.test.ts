import { describe, expect, it } from 'vitest';
import { parseSimArgs, UsageError } from '../src/cli-args.js';
import { FAULT_KINDS } from '../src/faults.js';
import { FAST_PROFILE_SETTINGS } from '../src/simulation.js';

function refused(argv: string[]): string {
  try {
    parseSimArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

describe('parseSimArgs', () => {
  it('gives the defaults for an empty command line', () => {
    expect(parseSimArgs([])).toEqual({ help: false, quiet: false, seeds: 100, from: 1, steps: 20000, settings: {}, run: {} });
  });

  it('reads every option into what runSimulation takes', () => {
    const args = parseSimArgs(['--seeds', '40', '--from', '1001', '--steps', '5000', '--sync', 'quorum', '--sync-count', '2', '--faults', 'dcs-outage,clock-jump', '--fault-rate', '0.1', '--members', '5', '--profile', 'fast']);
    expect(args).toEqual({
      help: false,
      quiet: false,
      seeds: 40,
      from: 1001,
      steps: 5000,
      settings: { synchronousMode: 'quorum', synchronousNodeCount: 2, ...FAST_PROFILE_SETTINGS },
      run: { faultKinds: ['dcs-outage', 'clock-jump'], faultProbability: 0.1, memberCount: 5 },
    });
    expect(parseSimArgs(['--seed', '42', '--quiet', '--sync=on'])).toMatchObject({ seed: 42, quiet: true, settings: { synchronousMode: true } });
    expect(parseSimArgs(['--sync', 'off']).settings).toEqual({ synchronousMode: false });
    expect(parseSimArgs(['--help']).help).toBe(true);
  });

  it('refuses what it does not know, with one line naming it', () => {
    expect(refused(['--fault-rat', '0.1'])).toMatch(/--fault-rat/);
    expect(refused(['--seeds', '10', 'extra'])).toMatch(/extra/);
    expect(refused(['--sync', 'yes'])).toBe("--sync takes quorum, on or off, not 'yes'");
    expect(refused(['--profile', 'slow'])).toBe("--profile takes fast, not 'slow'");
    expect(refused(['--faults', 'dcs-outage,meteor'])).toMatch(/^--faults: unknown fault kind meteor; known: /);
    // An opt-in kind is taken when named, and never drawn otherwise (not in the default list).
    expect(parseSimArgs(['--faults', 'switchover,stuck-shutdown']).run.faultKinds).toEqual(['switchover', 'stuck-shutdown']);
    expect(FAULT_KINDS).not.toContain('stuck-shutdown');
  });

  it('refuses values the option cannot take', () => {
    expect(refused(['--fault-rate', '1.5'])).toBe("--fault-rate takes a probability from 0 to 1, not '1.5'");
    expect(refused(['--fault-rate', 'often'])).toMatch(/--fault-rate/);
    expect(refused(['--fault-rate', ''])).toMatch(/--fault-rate/);
    expect(refused(['--seeds', '0'])).toBe("--seeds takes a whole number ≥ 1, not '0'");
    expect(refused(['--steps', '1e4'])).toMatch(/--steps/);
    expect(refused(['--members', 'three'])).toMatch(/--members/);
    expect(refused(['--seed', '-3'])).toMatch(/--seed/);
  });

  it('refuses combinations that would drop an option silently', () => {
    expect(refused(['--seed', '7', '--seeds', '10'])).toMatch(/--seed replays one seed/);
    expect(refused(['--seeds', '10', '--quiet'])).toMatch(/--quiet applies to --seed only/);
  });

  it('--set pins any scalar setting a scenario draws, typed as it is drawn', () => {
    const args = parseSimArgs(['--profile', 'fast', '--set', 'checkTimeline=true', '--set', 'usePgRewind=false', '--set', 'maximumLagOnFailoverBytes=16384', '--set', 'watchdogMode=required', '--set', 'ttlSeconds=6']);
    expect(args.settings).toEqual({ ...FAST_PROFILE_SETTINGS, checkTimeline: true, usePgRewind: false, maximumLagOnFailoverBytes: 16384, watchdogMode: 'required', ttlSeconds: 6 });
    expect(refused(['--set', 'nope=1'])).toMatch(/^--set takes name=value with a name among .*checkTimeline.*; not 'nope=1'$/);
    expect(refused(['--set', 'checkTimeline'])).toMatch(/--set takes name=value/);
    expect(refused(['--set', 'synchronousMode=true'])).toMatch(/--set takes name=value/);
    expect(refused(['--set', 'checkTimeline=yes'])).toBe("--set checkTimeline takes true or false, not 'yes'");
    expect(refused(['--set', 'ttlSeconds=-1'])).toBe("--set ttlSeconds takes a number ≥ 0, not '-1'");
    expect(refused(['--set', 'watchdogMode=on'])).toBe("--set watchdogMode takes off, automatic, required, not 'on'");
  });

  it('every message is one line', () => {
    for (const argv of [['--nope'], ['--seeds'], ['--quiet=1'], ['--faults', 'x']]) expect(refused(argv)).not.toContain('\n');
  });
});
