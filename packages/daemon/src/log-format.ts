/**
 * Patroni's `log` settings beyond type and level, applied to the agent's
 * records (JSON lines):
 *
 * - `format`: for `type: plain` a Python %-style template; for `type: json`
 *   the fields to emit (names found in the template, or a list of names and
 *   `{field: rename}` maps), as Patroni's JSON formatter does. The default
 *   format keeps pgwarden's own records (`time`, `level`, `msg`).
 * - `dateformat`: a strftime pattern for `asctime`.
 * - `static_fields`: added to every record.
 * - `loggers`: Patroni module → level, mapped onto pgwarden's components.
 *
 * Placeholders a record can fill: asctime, levelname, levelno, message,
 * name, process, created, msecs. Anything else is refused at start-up by
 * name (logFormatProblem), never printed as a literal.
 */

import {
  DEFAULT_PATRONI_LOG_FORMAT,
  LOG_LEVEL_NAMES as LEVEL_NAMES,
  LOG_LEVEL_NUMBERS as LEVEL_NUMBERS,
  logTemplateFields as templateFields,
  type PatroniLogFormat,
} from '@pgwarden/core';

export { componentsOfModule, DEFAULT_PATRONI_LOG_FORMAT, logFormatProblem, type PatroniLogFormat } from '@pgwarden/core';

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** strftime in UTC for the directives Python's logging users write. */
export function strftime(pattern: string, date: Date): string {
  return pattern.replace(/%([a-zA-Z%])/g, (whole, directive: string) => {
    switch (directive) {
      case 'Y': return String(date.getUTCFullYear());
      case 'y': return pad(date.getUTCFullYear() % 100);
      case 'm': return pad(date.getUTCMonth() + 1);
      case 'd': return pad(date.getUTCDate());
      case 'H': return pad(date.getUTCHours());
      case 'I': return pad(((date.getUTCHours() + 11) % 12) + 1);
      case 'p': return date.getUTCHours() < 12 ? 'AM' : 'PM';
      case 'M': return pad(date.getUTCMinutes());
      case 'S': return pad(date.getUTCSeconds());
      case 'f': return pad(date.getUTCMilliseconds() * 1000, 6);
      case 'j': return pad(Math.floor((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, 3);
      case 'a': return DAYS[date.getUTCDay()] ?? '';
      case 'b': return MONTHS[date.getUTCMonth()] ?? '';
      case 'z': return '+0000';
      case 'Z': return 'UTC';
      case 's': return String(Math.floor(date.getTime() / 1000));
      case '%': return '%';
      default: return whole;
    }
  });
}

export interface RecordFormatOptions {
  readonly format?: PatroniLogFormat;
  readonly dateformat?: string;
}

interface Fields {
  readonly values: Record<string, unknown>;
  readonly rest: Record<string, unknown>;
}

function recordFields(record: Record<string, unknown>, dateformat: string | undefined): Fields {
  const { time, level, msg, component, pid, hostname: _hostname, ...rest } = record;
  const date = new Date(typeof time === 'string' || typeof time === 'number' ? time : Date.now());
  const levelName = String(level ?? 'info');
  const asctime = dateformat !== undefined ? strftime(dateformat, date) : `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 19)},${pad(date.getUTCMilliseconds(), 3)}`;
  return {
    values: {
      asctime,
      levelname: LEVEL_NAMES[levelName] ?? levelName.toUpperCase(),
      levelno: LEVEL_NUMBERS[levelName] ?? 20,
      message: String(msg ?? ''),
      name: component === undefined ? 'patroni' : `pgwarden.${String(component)}`,
      process: pid ?? process.pid,
      created: date.getTime() / 1000,
      msecs: date.getUTCMilliseconds(),
    },
    rest,
  };
}

/** One plain line from a JSON record: the template, then the record's own fields as key=value. */
export function formatPlainRecord(record: Record<string, unknown>, options: RecordFormatOptions): string {
  const template = typeof options.format === 'string' ? options.format : DEFAULT_PATRONI_LOG_FORMAT;
  const { values, rest } = recordFields(record, options.dateformat);
  const head = template.replace(/%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifrx]/g, (_whole, name: string) => String(values[name] ?? ''));
  const extra = Object.entries(rest)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return extra === '' ? head : `${head} ${extra}`;
}

/** A JSON record with the fields the format names (renamed as asked), then the record's own fields. */
export function formatJsonRecord(record: Record<string, unknown>, options: RecordFormatOptions): Record<string, unknown> {
  const format = options.format ?? DEFAULT_PATRONI_LOG_FORMAT;
  const { values, rest } = recordFields(record, options.dateformat);
  const chosen: Record<string, unknown> = {};
  const entries = typeof format === 'string' ? templateFields(format).map((name) => [name, name] as const) : format.flatMap((entry) => (typeof entry === 'string' ? [[entry, entry] as const] : Object.entries(entry)));
  for (const [name, rename] of entries) chosen[rename] = values[name];
  return { ...chosen, ...rest };
}
