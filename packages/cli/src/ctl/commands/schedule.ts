/**
 * `--scheduled` values: `now` (or nothing) means immediately; otherwise a
 * timestamp like `2026-11-25T21:00` or `2026-11-25 21:00:00+01:00`, in local
 * time when no zone is given (as patronictl), sent as ISO-8601 with the offset
 * because the REST API requires a timezone.
 */
import { PgwardenError } from '@pgwarden/core';

const PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function two(value: number): string {
  return String(Math.abs(value)).padStart(2, '0');
}

/** ISO-8601 with the local offset: `2026-11-25T21:00:00+01:00`. */
export function isoWithOffset(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  return (
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}` +
    `${sign}${two(Math.trunc(offset / 60))}:${two(offset % 60)}`
  );
}

/** undefined for "now"; else the instant as ISO-8601 with an offset. */
export function parseScheduled(text: string | undefined): string | undefined {
  const value = (text ?? 'now').trim();
  if (value === '' || value.toLowerCase() === 'now') return undefined;
  const match = PATTERN.exec(value);
  const fail = (): never => {
    throw new PgwardenError('invalid-schedule', `Unable to parse scheduled timestamp (${value}). It should be in an unambiguous format (e.g. ISO 8601)`);
  };
  if (match === null) return fail();
  const [, year, month, day, hour = '0', minute = '0', second = '0', , zone] = match;
  const fields = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  if (zone === undefined) {
    const local = new Date(fields[0], fields[1] - 1, fields[2], fields[3], fields[4], fields[5]);
    if (Number.isNaN(local.getTime()) || local.getMonth() !== fields[1] - 1) return fail();
    return isoWithOffset(local);
  }
  const normalisedZone = zone.toUpperCase() === 'Z' ? '+00:00' : zone.length === 3 ? `${zone}:00` : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const iso = `${year}-${month}-${day}T${two(fields[3])}:${two(fields[4])}:${two(fields[5])}${normalisedZone}`;
  if (Number.isNaN(new Date(iso).getTime())) return fail();
  return iso;
}

/** The example shown in the schedule question: an hour from now, `YYYY-MM-DDTHH:MM`. */
export function exampleInOneHour(now: Date): string {
  const later = new Date(now.getTime() + 3_600_000);
  return isoWithOffset(later).slice(0, 16);
}
