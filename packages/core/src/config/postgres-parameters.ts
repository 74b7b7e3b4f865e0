/**
 * PostgreSQL parameters Patroni controls (`ConfigHandler.CMDLINE_OPTIONS`).
 * They size shared memory or decide what replicas can replay, so they must be
 * equal on every member: they come only from the dynamic configuration, are
 * validated there (an invalid value falls back to the default), and are passed
 * on the postgres command line where ALTER SYSTEM cannot override them.
 */
import { parseBoolean, parseInteger } from './value-parsers.js';

export type ParameterValue = string | number | boolean;

interface CommandLineParameter {
  readonly defaultValue: ParameterValue | undefined;
  readonly isValid: (value: ParameterValue) => boolean;
  /** server_version_num from which the parameter exists. */
  readonly minVersion: number;
  readonly expected: string;
}

const notSettable = { defaultValue: undefined, isValid: () => false, minVersion: 90100, expected: 'not settable (derived from postgresql.listen / scope)' };
const atLeast = (min: number, baseUnit?: string) => (value: ParameterValue) => {
  const parsed = parseInteger(value, baseUnit);
  return parsed !== undefined && parsed >= min;
};
const isBoolean = (value: ParameterValue) => parseBoolean(value) !== undefined;

export const COMMAND_LINE_PARAMETERS: Readonly<Record<string, CommandLineParameter>> = {
  listen_addresses: notSettable,
  port: notSettable,
  cluster_name: { ...notSettable, minVersion: 90500 },
  wal_level: { defaultValue: 'hot_standby', isValid: (v) => ['hot_standby', 'replica', 'logical'].includes(String(v)), minVersion: 90100, expected: 'one of hot_standby, replica, logical' },
  hot_standby: { defaultValue: 'on', isValid: (v) => parseBoolean(v) === true, minVersion: 90100, expected: 'on' },
  max_connections: { defaultValue: 100, isValid: atLeast(25), minVersion: 90100, expected: 'an integer >= 25' },
  max_wal_senders: { defaultValue: 10, isValid: atLeast(3), minVersion: 90100, expected: 'an integer >= 3' },
  wal_keep_segments: { defaultValue: 8, isValid: atLeast(1), minVersion: 90100, expected: 'an integer >= 1' },
  wal_keep_size: { defaultValue: '128MB', isValid: atLeast(16, 'MB'), minVersion: 130000, expected: 'a size >= 16MB' },
  max_prepared_transactions: { defaultValue: 0, isValid: atLeast(0), minVersion: 90100, expected: 'an integer >= 0' },
  max_locks_per_transaction: { defaultValue: 64, isValid: atLeast(32), minVersion: 90100, expected: 'an integer >= 32' },
  track_commit_timestamp: { defaultValue: 'off', isValid: isBoolean, minVersion: 90500, expected: 'a boolean' },
  max_replication_slots: { defaultValue: 10, isValid: atLeast(4), minVersion: 90400, expected: 'an integer >= 4' },
  max_worker_processes: { defaultValue: 8, isValid: atLeast(2), minVersion: 90400, expected: 'an integer >= 2' },
  wal_log_hints: { defaultValue: 'on', isValid: isBoolean, minVersion: 90400, expected: 'a boolean' },
};

/** Parameters that size shared memory or WAL content: equal on all members. */
export const CLUSTER_WIDE_PARAMETERS = [
  'max_connections',
  'max_prepared_transactions',
  'max_locks_per_transaction',
  'max_wal_senders',
  'max_worker_processes',
  'wal_level',
  'track_commit_timestamp',
] as const;

/** The command-line parameter's canonical name, or undefined (names are case-insensitive). */
export function commandLineParameterName(name: string): string | undefined {
  const lower = name.toLowerCase();
  return lower in COMMAND_LINE_PARAMETERS ? lower : undefined;
}

/** The defaults Patroni starts the dynamic parameters from (wal_keep_* depend on the version). */
export function defaultDynamicParameters(): Record<string, ParameterValue> {
  const result: Record<string, ParameterValue> = {};
  for (const [name, spec] of Object.entries(COMMAND_LINE_PARAMETERS)) {
    if (spec.defaultValue !== undefined && name !== 'wal_keep_segments' && name !== 'wal_keep_size') result[name] = spec.defaultValue;
  }
  return result;
}

/**
 * `parameters` merged as Patroni does: defaults, then dynamic values (command-line
 * parameters only when valid), then local values (never command-line ones).
 */
export function mergeParameters(
  dynamic: Readonly<Record<string, ParameterValue>>,
  local: Readonly<Record<string, ParameterValue>>,
): { parameters: Record<string, ParameterValue>; warnings: string[] } {
  const parameters = defaultDynamicParameters();
  const warnings: string[] = [];
  for (const [name, value] of Object.entries(dynamic)) {
    const canonical = commandLineParameterName(name);
    const spec = canonical === undefined ? undefined : COMMAND_LINE_PARAMETERS[canonical];
    if (canonical !== undefined && spec && !spec.isValid(value)) {
      warnings.push(`dynamic postgresql.parameters.${name}=${String(value)} is invalid (expected ${spec.expected}), using ${String(spec.defaultValue ?? 'the derived value')}`);
      continue;
    }
    parameters[canonical ?? name] = value;
  }
  for (const [name, value] of Object.entries(local)) {
    if (commandLineParameterName(name) !== undefined) {
      warnings.push(`local postgresql.parameters.${name} is ignored: it must be equal on all members, set it in the dynamic configuration (bootstrap.dcs or edit-config)`);
      continue;
    }
    parameters[name] = value;
  }
  return { parameters, warnings };
}

/** PostgreSQL's text for a value (`true` → `on`). */
export function formatParameterValue(value: ParameterValue): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return String(value);
}
