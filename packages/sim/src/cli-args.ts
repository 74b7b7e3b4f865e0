/**
 * The simulator's command line, parsed strictly: an unknown option or a value
 * that is not what the option takes is refused with one line, so that a typo
 * (`--fault-rat 0.1`, `--sync yes`) never runs the default mix in its place.
 */
import { parseArgs } from 'node:util';
import { FAULT_KINDS, OPT_IN_FAULT_KINDS, type FaultKind } from './faults.js';
import { FAST_PROFILE_SETTINGS, scenarioSettingsTemplate, type SimOptions } from './simulation.js';

const WATCHDOG_MODES = ['off', 'automatic', 'required'];

/** The settings a scenario draws, read once: `--set` names and types its pins after them. */
const TEMPLATE = scenarioSettingsTemplate() as unknown as Record<string, unknown>;

/** Settings `--set` may pin: the scenario's booleans and numbers, and watchdogMode (synchronous_mode has --sync; pause is a fault). */
const SETTABLE = Object.keys(TEMPLATE)
  .filter((name) => name === 'watchdogMode' || (!['synchronousMode', 'paused'].includes(name) && ['boolean', 'number'].includes(typeof TEMPLATE[name])))
  .sort();

export const USAGE = `usage: npm run sim -- [--seed N [--quiet] | --seeds N [--from N]] [--steps N]
                   [--sync quorum|on|off] [--sync-count N] [--faults kind,...] [--fault-rate p]
                   [--members N] [--profile fast] [--set name=value ...]
  --seed N        replay one seed with its full trace (--quiet: the summary only)
  --seeds N       run N seeds (default 100) from --from (default 1) and print a summary
  --steps N       steps per seed (default 20000)
  --sync          pin synchronous_mode for every seed; --sync-count its node count
  --faults        only these fault kinds: ${FAULT_KINDS.join(', ')}
                  (default: all of them); also ${OPT_IN_FAULT_KINDS.join(', ')}, never drawn unless named
  --fault-rate p  probability of a fault per step (default 0.005)
  --members N     cluster size (default 3 to 5, drawn per seed)
  --profile fast  ttl 5, loop_wait 1, retry_timeout 1
  --set n=v       pin one more setting for every seed (repeatable), by its HaSettings name:
                  ${SETTABLE.join(', ')}
Exit code 1 when an invariant was violated, 2 on a usage error.`;

/** `name=value` pairs of `--set`, typed as the template's values are. */
function pinned(pairs: readonly string[]): Record<string, boolean | number | string> {
  const out: Record<string, boolean | number | string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const name = at < 0 ? pair : pair.slice(0, at);
    const value = at < 0 ? '' : pair.slice(at + 1);
    if (at < 0 || !SETTABLE.includes(name)) throw new UsageError(`--set takes name=value with a name among ${SETTABLE.join(', ')}; not '${pair}'`);
    const kind = typeof TEMPLATE[name];
    if (name === 'watchdogMode') {
      if (!WATCHDOG_MODES.includes(value)) throw new UsageError(`--set watchdogMode takes ${WATCHDOG_MODES.join(', ')}, not '${value}'`);
      out[name] = value;
    } else if (kind === 'boolean') {
      if (value !== 'true' && value !== 'false') throw new UsageError(`--set ${name} takes true or false, not '${value}'`);
      out[name] = value === 'true';
    } else {
      const number = value.trim() === '' ? Number.NaN : Number(value);
      if (!Number.isFinite(number) || number < 0) throw new UsageError(`--set ${name} takes a number ≥ 0, not '${value}'`);
      out[name] = number;
    }
  }
  return out;
}

/** A command line the simulator refuses; its message is one line. */
export class UsageError extends Error {}

export interface SimArgs {
  readonly help: boolean;
  /** One seed with its trace, or undefined for a run of many. */
  readonly seed?: number;
  readonly quiet: boolean;
  readonly seeds: number;
  readonly from: number;
  readonly steps: number;
  readonly settings: SimOptions['settings'];
  readonly run: Pick<SimOptions, 'faultKinds' | 'faultProbability' | 'memberCount'>;
}

function integer(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min) throw new UsageError(`--${name} takes a whole number ≥ ${min}, not '${value}'`);
  return parsed;
}

function syncMode(value: string | undefined): boolean | 'quorum' | undefined {
  if (value === undefined) return undefined;
  if (value === 'quorum') return 'quorum';
  if (value === 'on' || value === 'true') return true;
  if (value === 'off' || value === 'false') return false;
  throw new UsageError(`--sync takes quorum, on or off, not '${value}'`);
}

function faultKinds(value: string | undefined): FaultKind[] | undefined {
  if (value === undefined) return undefined;
  const kinds = value.split(',');
  const known: readonly string[] = [...FAULT_KINDS, ...OPT_IN_FAULT_KINDS];
  const unknown = kinds.filter((kind) => !known.includes(kind));
  if (unknown.length > 0) throw new UsageError(`--faults: unknown fault kind ${unknown.join(', ')}; known: ${known.join(', ')}`);
  return kinds as FaultKind[];
}

function probability(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = value.trim() === '' ? Number.NaN : Number(value);
  if (!(parsed >= 0 && parsed <= 1)) throw new UsageError(`--fault-rate takes a probability from 0 to 1, not '${value}'`);
  return parsed;
}

/** The options in `argv` (process.argv without node and the script); throws UsageError. */
export function parseSimArgs(argv: readonly string[]): SimArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        seed: { type: 'string' },
        quiet: { type: 'boolean' },
        seeds: { type: 'string' },
        from: { type: 'string' },
        steps: { type: 'string' },
        sync: { type: 'string' },
        'sync-count': { type: 'string' },
        faults: { type: 'string' },
        'fault-rate': { type: 'string' },
        members: { type: 'string' },
        profile: { type: 'string' },
        set: { type: 'string', multiple: true },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  if (values.profile !== undefined && values.profile !== 'fast') throw new UsageError(`--profile takes fast, not '${values.profile}'`);
  if (values.seed !== undefined && (values.seeds !== undefined || values.from !== undefined)) throw new UsageError('--seed replays one seed; give it without --seeds and --from');
  if (values.quiet === true && values.seed === undefined) throw new UsageError('--quiet applies to --seed only (a run of many seeds prints no trace)');
  const sync = syncMode(values.sync);
  const syncCount = values['sync-count'] === undefined ? undefined : integer('sync-count', values['sync-count'], 1, 1);
  const kinds = faultKinds(values.faults);
  const rate = probability(values['fault-rate']);
  const members = values.members === undefined ? undefined : integer('members', values.members, 3, 1);
  const pins = pinned(values.set ?? []);
  return {
    help: values.help === true,
    ...(values.seed === undefined ? {} : { seed: integer('seed', values.seed, 0, 0) }),
    quiet: values.quiet === true,
    seeds: integer('seeds', values.seeds, 100, 1),
    from: integer('from', values.from, 1, 0),
    steps: integer('steps', values.steps, 20000, 1),
    settings: {
      ...(sync === undefined ? {} : { synchronousMode: sync }),
      ...(syncCount === undefined ? {} : { synchronousNodeCount: syncCount }),
      ...(values.profile === 'fast' ? FAST_PROFILE_SETTINGS : {}),
      ...pins,
    },
    run: {
      ...(kinds === undefined ? {} : { faultKinds: kinds }),
      ...(rate === undefined ? {} : { faultProbability: rate }),
      ...(members === undefined ? {} : { memberCount: members }),
    },
  };
}
