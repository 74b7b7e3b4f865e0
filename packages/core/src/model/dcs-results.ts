/**
 * Building the outcomes of the `Dcs` contract (dcs.ts): every adapter returns
 * these, never throws for an expected failure.
 */
import type { DcsFailure, DcsResult } from './dcs.js';

export function dcsOk(): DcsResult<void>;
export function dcsOk<T>(value: T): DcsResult<T>;
export function dcsOk<T>(value?: T): DcsResult<T | undefined> {
  return { ok: true, value };
}

export function dcsFail(reason: DcsFailure['reason'], message: string): DcsFailure {
  return { ok: false, reason, message };
}
