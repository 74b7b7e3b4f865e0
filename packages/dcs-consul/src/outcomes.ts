/**
 * Small translations shared by the adapter's operations: a KV write's answer
 * as a contract result (a refused CAS is `conflict`, anything else that is
 * not an answer is `unreachable`), and PEM files of the TLS options read once
 * with an error that names the option.
 */
import { readFileSync } from 'node:fs';
import { PgwardenError, type DcsResult } from '@pgwarden/core';
import type { WriteResult } from './kv.js';

export function writeOutcome(operation: string, result: WriteResult): DcsResult<void> {
  if (!result.ok) return { ok: false, reason: 'unreachable', message: `${operation}: ${result.message}` };
  return result.applied
    ? { ok: true, value: undefined }
    : { ok: false, reason: 'conflict', message: `${operation}: the key changed or exists (compare-and-set refused)` };
}

export function readPem(path: string | undefined, field: string): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new PgwardenError('dcs-config-invalid', `consul.${field}: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}
