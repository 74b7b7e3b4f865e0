/**
 * Scheduled timestamps of `POST /switchover` and `POST /restart`
 * (spec/rest-api.md §7.1 step 3). Patroni requires a timezone, refuses the
 * past, and writes the parsed value back in Python's isoformat(); we accept
 * ISO-8601 (with `T` or a space, optional seconds and fraction, `Z`, `±HH`,
 * `±HHMM`, `±HH:MM`, or a trailing ` UTC`/` GMT`) and write the same form.
 */

export type ScheduleParse =
  | { readonly ok: true; readonly epochMs: number; readonly iso: string }
  | { readonly ok: false; readonly status: 400 | 422; readonly message: string };

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

function offsetMinutes(zone: string): number {
  const upper = zone.toUpperCase();
  if (upper === 'Z' || upper === 'UTC' || upper === 'GMT') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const absolute = Math.abs(minutes);
  return `${sign}${pad(Math.floor(absolute / 60))}:${pad(absolute % 60)}`;
}

const UNPARSABLE = 'Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601';

/** Parse `value` for `action` (`switchover`, `restart`) against `nowMs`. */
export function parseSchedule(value: unknown, action: string, nowMs: number): ScheduleParse {
  const match = typeof value === 'string' ? TIMESTAMP.exec(value.trim()) : null;
  if (match === null) return { ok: false, status: 422, message: UNPARSABLE };
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone] = match;
  const fields = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const [y, mo, d, h, mi, s] = fields;
  const microseconds = fraction === '' ? 0 : Number(fraction.padEnd(6, '0'));
  const localMs = Date.UTC(y, mo - 1, d, h, mi, s) + Math.floor(microseconds / 1000);
  const check = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return { ok: false, status: 422, message: UNPARSABLE };
  }
  if (zone === undefined) {
    return { ok: false, status: 400, message: `Timezone information is mandatory for the scheduled ${action}` };
  }
  const offset = offsetMinutes(zone);
  const epochMs = localMs - offset * 60_000;
  if (epochMs < nowMs) return { ok: false, status: 422, message: `Cannot schedule ${action} in the past` };
  const micro = microseconds === 0 ? '' : `.${pad(microseconds, 6)}`;
  const iso = `${year}-${month}-${day}T${hour}:${minute}:${second}${micro}${formatOffset(offset)}`;
  return { ok: true, epochMs, iso };
}
