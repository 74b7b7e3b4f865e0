/** The pure rules behind the endpoints: values in, values out. */
import { describe, expect, it } from 'vitest';
import { deepCompare, patchConfig } from './config-patch.js';
import { parseQuery } from './health.js';
import { paddedVersion } from './metrics.js';
import { formatLsn, parseDurationSeconds, parseSizeBytes, postgresVersionToInt } from './parse-values.js';
import { parseSchedule } from './schedule.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('patchConfig (Patroni merge rules)', () => {
  it('deletes keys patched with null and merges nested objects', () => {
    const { value, changed } = patchConfig({ a: 1, b: { c: 2, d: 3 } }, { a: null, b: { c: null, e: 4 } });
    expect(value).toEqual({ b: { d: 3, e: 4 } });
    expect(changed).toBe(true);
  });

  it('compares scalars by their string form: 5 and "5" are the same, true and "true" are not', () => {
    expect(patchConfig({ ttl: 5 }, { ttl: '5' }).changed).toBe(false);
    expect(patchConfig({ pause: true }, { pause: 'true' })).toEqual({ value: { pause: 'true' }, changed: true });
  });

  it('replaces a scalar by an object and an object by a scalar', () => {
    expect(patchConfig({ a: 1 }, { a: { b: 1 } }).value).toEqual({ a: { b: 1 } });
    expect(patchConfig({ a: { b: 1 } }, { a: 2 }).value).toEqual({ a: 2 });
  });

  it('does not count the removal of an absent or null key as a change, and leaves the input alone', () => {
    const input = { a: null, b: { c: 1 } };
    expect(patchConfig(input, { a: null, x: null }).changed).toBe(false);
    patchConfig(input, { b: { c: 2 } });
    expect(input).toEqual({ a: null, b: { c: 1 } });
  });

  it('deepCompare needs the same keys and equal string forms', () => {
    expect(deepCompare({ a: 1, b: { c: '2' } }, { b: { c: 2 }, a: '1' })).toBe(true);
    expect(deepCompare({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  });
});

describe('parseSchedule', () => {
  it('accepts ISO-8601 with an offset and writes isoformat', () => {
    expect(parseSchedule('2026-01-15T13:30:00+01:00', 'switchover', NOW)).toEqual({ ok: true, epochMs: NOW + 30 * 60_000, iso: '2026-01-15T13:30:00+01:00' });
  });

  it('accepts Z, a space, fractions and ±HHMM offsets', () => {
    expect(parseSchedule('2026-01-15 12:00:01.5Z', 'restart', NOW)).toMatchObject({ ok: true, iso: '2026-01-15T12:00:01.500000+00:00' });
    expect(parseSchedule('2026-01-15T07:30-0500', 'restart', NOW)).toMatchObject({ ok: true, iso: '2026-01-15T07:30:00-05:00', epochMs: NOW + 30 * 60_000 });
  });

  it('refuses no timezone (400), the past (422), nonsense and impossible dates (422)', () => {
    expect(parseSchedule('2026-01-15T13:00:00', 'switchover', NOW)).toMatchObject({ ok: false, status: 400 });
    expect(parseSchedule('2026-01-15T11:59:59Z', 'switchover', NOW)).toMatchObject({ ok: false, status: 422, message: 'Cannot schedule switchover in the past' });
    expect(parseSchedule('soon', 'switchover', NOW)).toMatchObject({ ok: false, status: 422 });
    expect(parseSchedule('2026-02-30T10:00:00Z', 'switchover', NOW)).toMatchObject({ ok: false, status: 422 });
    expect(parseSchedule(42, 'switchover', NOW)).toMatchObject({ ok: false, status: 422 });
  });
});

describe('value parsers', () => {
  it('parses lag sizes with PostgreSQL units in 1024 multiples', () => {
    expect([parseSizeBytes('1024'), parseSizeBytes('16kB'), parseSizeBytes('1MB'), parseSizeBytes('1GB')]).toEqual([1024, 16384, 1048576, 1073741824]);
    expect(parseSizeBytes('1mb')).toBeUndefined();
    expect(parseSizeBytes('lots')).toBeUndefined();
  });

  it('parses durations in seconds', () => {
    expect([parseDurationSeconds(30), parseDurationSeconds('30'), parseDurationSeconds('2min'), parseDurationSeconds('1h')]).toEqual([30, 30, 120, 3600]);
  });

  it('converts PostgreSQL versions like server_version_num', () => {
    expect([postgresVersionToInt('15.4'), postgresVersionToInt('9.6.24'), postgresVersionToInt('16.0.1')]).toEqual([150004, 90624, 160001]);
    expect(() => postgresVersionToInt('9.6')).toThrow('Invalid PostgreSQL version format');
    expect(() => postgresVersionToInt('15.x')).toThrow('Invalid PostgreSQL version format');
  });

  it('formats LSNs and versions as PostgreSQL and Patroni print them', () => {
    expect(formatLsn(0x1_0000_0060)).toBe('1/60');
    expect(paddedVersion('3.3.1')).toBe('030301');
  });

  it('parses query strings: first value wins, + is a space, blanks dropped', () => {
    expect([...parseQuery('lag=1MB&lag=2MB&tag_zone=eu+west&empty=')]).toEqual([
      ['lag', '1MB'],
      ['tag_zone', 'eu west'],
    ]);
  });
});

describe('restapi section validation', () => {
  it('accepts string forms from YAML/environment and names what is wrong otherwise', async () => {
    const { restApiConfigSchema } = await import('./options.js');
    const parsed = restApiConfigSchema.parse({ listen: ':8008', allowlist_include_members: 'true', request_queue_size: '10', verify_client: 'Required', http_extra_headers: { 'X-Number': 1 } });
    expect(parsed).toMatchObject({ allowlist_include_members: true, request_queue_size: 10, verify_client: 'required', http_extra_headers: { 'X-Number': '1' } });
    const { prepareSettings } = await import('./listener-settings.js');
    const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    expect(() => prepareSettings({ listen: ':8008', verify_client: 'sometimes' }, silent)).toThrow(/restapi\.verify_client/);
    expect(() => prepareSettings({ listen: '8008' }, silent)).toThrow('expected <HOST>:<PORT> for "listen", but got "8008"');
  });
});
