/**
 * Parsers for values operators type into query strings and request bodies,
 * with Patroni's units and leniency: `?lag=16MB`, `timeout: "5min"`,
 * `postgres_version: "15.4"`, `force: "true"`.
 */

const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  kB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
};

const TIME_UNITS_SECONDS: Readonly<Record<string, number>> = {
  ms: 0.001,
  s: 1,
  min: 60,
  h: 3600,
  d: 86400,
};

const NUMBER_WITH_UNIT = /^\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/;

function parseWithUnits(value: unknown, units: Readonly<Record<string, number>>, baseUnit: string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = NUMBER_WITH_UNIT.exec(value);
  if (match === null) return undefined;
  const multiplier = units[match[2] === '' ? baseUnit : (match[2] ?? baseUnit)];
  if (multiplier === undefined) return undefined;
  return Math.round(Number(match[1]) * multiplier);
}

/** Bytes from `1024`, `16kB`, `64MB`, `1GB` (1024 multiples); undefined when unparsable. */
export function parseSizeBytes(value: unknown): number | undefined {
  return parseWithUnits(value, SIZE_UNITS, 'B');
}

/** Whole seconds from `30`, `30s`, `5min`, `1h`, `1d`; undefined when unparsable. */
export function parseDurationSeconds(value: unknown): number | undefined {
  return parseWithUnits(value, TIME_UNITS_SECONDS, 's');
}

/** Patroni's parse_bool: true/false/on/off/yes/no/1/0 (any case, unique prefixes of on/off excluded). */
export function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : undefined;
  if (typeof value !== 'string') return undefined;
  const lower = value.trim().toLowerCase();
  if (['true', 'on', 'yes', '1', 't', 'y'].includes(lower)) return true;
  if (['false', 'off', 'no', '0', 'f', 'n'].includes(lower)) return false;
  return undefined;
}

/**
 * `X.Y.Z` (or `X.Y` from 10 on) as server_version_num, e.g. `15.4` →
 * 150004, `9.6.24` → 90624. Throws a message in Patroni's words otherwise.
 */
export function postgresVersionToInt(version: string): number {
  const invalid = `Invalid PostgreSQL version format: X.Y or X.Y.Z is accepted: ${version}`;
  const parts = version.split('.');
  if (parts.some((part) => !/^\d+$/.test(part))) throw new Error(invalid);
  const numbers = parts.map(Number);
  const [major] = numbers;
  if (major === undefined || numbers.length < 2 || numbers.length > 3 || (numbers.length === 2 && major < 10)) {
    throw new Error(invalid);
  }
  if (numbers.length === 2) numbers.splice(1, 0, 0);
  return numbers.reduce((sum, part) => sum * 100 + part, 0);
}

/** Python's str() of a JSON value, for Patroni's "compare by string form" rules. */
export function pythonString(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/** `0/3000060` style LSN, as PostgreSQL prints it. */
export function formatLsn(lsn: number): string {
  const high = Math.floor(lsn / 2 ** 32);
  const low = lsn % 2 ** 32;
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}
