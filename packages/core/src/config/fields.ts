/**
 * Field builders shared by the schemas. Each failure carries `params.expected`,
 * a phrase a person understands ("an integer >= 20"), so that every problem
 * can be printed as "expected X, found Y" next to its file position.
 */
import { z } from 'zod';
import { parseInteger } from './value-parsers.js';

function expectedIssue(ctx: z.RefinementCtx, expected: string): void {
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected ${expected}`, params: { expected } });
}

function describeRange(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return `an integer between ${min} and ${max}`;
  if (min !== undefined) return `an integer >= ${min}`;
  if (max !== undefined) return `an integer <= ${max}`;
  return 'an integer';
}

/**
 * An integer as Patroni's IntValidator takes it: a number or a string such as
 * "30" or "128MB" (converted to `baseUnit`), within [min, max].
 */
export function integerField(options: { min?: number; max?: number; baseUnit?: string } = {}) {
  const { min, max, baseUnit } = options;
  const expected = describeRange(min, max) + (baseUnit ? ` (unit ${baseUnit})` : '');
  return z.unknown().transform((value, ctx): number => {
    const parsed = parseInteger(value, baseUnit);
    if (parsed === undefined || (min !== undefined && parsed < min) || (max !== undefined && parsed > max)) {
      expectedIssue(ctx, expected);
      return z.NEVER;
    }
    return parsed;
  });
}

/** A YAML boolean (YAML 1.1 also reads on/off/yes/no as booleans, like PyYAML). */
export function booleanField() {
  return z.boolean({ invalid_type_error: 'expected a boolean', required_error: 'required' });
}

export function stringField() {
  return z.string({ invalid_type_error: 'expected a string', required_error: 'required' });
}

export function stringListField() {
  return z.array(stringField());
}

/** Splits `host:port` / `[v6]:port`; undefined when the port is missing or invalid. */
export function splitHostPort(value: string): { host: string; port: number } | undefined {
  const match = /^(.*):(\d+)$/.exec(value.trim());
  if (!match) return undefined;
  let host = match[1] ?? '';
  const port = Number(match[2]);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (port < 1 || port > 65535) return undefined;
  return { host, port };
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '*', '::', '']);

/**
 * `host:port`. With `multipleHosts`, `host1,host2:port` (postgresql.listen).
 * With `advertised`, the host must be reachable by others: no wildcard.
 */
export function hostPortField(options: { multipleHosts?: boolean; advertised?: boolean } = {}) {
  const expected = options.multipleHosts ? '"host[,host...]:port"' : '"host:port"';
  return z.unknown().transform((value, ctx): string => {
    if (typeof value !== 'string') {
      expectedIssue(ctx, `a string ${expected}`);
      return z.NEVER;
    }
    const parts = splitHostPort(value);
    if (!parts || (!options.multipleHosts && parts.host.includes(','))) {
      expectedIssue(ctx, `${expected} with a port between 1 and 65535`);
      return z.NEVER;
    }
    if (options.advertised && WILDCARD_HOSTS.has(parts.host)) {
      expectedIssue(ctx, 'an address other members can connect to (not a wildcard such as 0.0.0.0 or *)');
      return z.NEVER;
    }
    return value;
  });
}

/** A command line (callbacks, scripts): a non-empty string. */
export function commandField() {
  return stringField().min(1, { message: 'expected a non-empty command' });
}
