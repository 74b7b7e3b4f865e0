/**
 * Patroni's value helpers (`patroni/utils.py` parse_bool / parse_int): the same
 * spellings a Patroni user writes must mean the same thing here, so booleans
 * accept on/off/yes/no and integers accept PostgreSQL units.
 */

const TRUE_WORDS = new Set(['on', 'true', 'yes', '1']);
const FALSE_WORDS = new Set(['off', 'false', 'no', '0']);

/** A boolean from a YAML/env/DCS value, or undefined when it is not one. */
export function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : undefined;
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

// Multiples of the byte; PostgreSQL unit spellings are case-sensitive.
const MEMORY_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  kB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
};
// Multiples of the microsecond.
const TIME_UNITS: Readonly<Record<string, number>> = {
  us: 1,
  ms: 1000,
  s: 1_000_000,
  min: 60_000_000,
  h: 3_600_000_000,
  d: 86_400_000_000,
};

function unitFactor(unit: string): { table: Readonly<Record<string, number>>; factor: number } | undefined {
  const memory = MEMORY_UNITS[unit];
  if (memory !== undefined) return { table: MEMORY_UNITS, factor: memory };
  const time = TIME_UNITS[unit];
  if (time !== undefined) return { table: TIME_UNITS, factor: time };
  return undefined;
}

function parseNumberText(text: string): number | undefined {
  if (/^[-+]?0[xX][0-9a-fA-F]+$/.test(text)) return Number.parseInt(text, 16);
  if (/^[-+]?0[0-7]+$/.test(text)) return Number.parseInt(text, 8);
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  return undefined;
}

/**
 * An integer from a value such as `30`, `"30"`, `"128MB"` or `"5min"`, converted
 * to `baseUnit` when both have units (e.g. `parseInteger('1GB', 'MB') === 1024`).
 * Fractions are rounded like Patroni does. Undefined when the value is not one.
 */
export function parseInteger(value: unknown, baseUnit?: string): number | undefined {
  if (typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*([-+]?(?:0[xX][0-9a-fA-F]+|\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!match) return undefined;
  const number = parseNumberText(match[1] ?? '');
  if (number === undefined) return undefined;
  const unit = match[2] ?? '';
  if (unit === '') return Math.round(number);
  const from = unitFactor(unit);
  if (!from) return undefined;
  if (baseUnit === undefined) return undefined;
  const to = from.table[baseUnit];
  if (to === undefined) return undefined;
  return Math.round((number * from.factor) / to);
}
