/**
 * Table-driven decide() cases: each row names a situation and what must
 * come out (rule id, Patroni's message, the action types in order, and
 * actions that must not appear).
 */
import { expect, it } from 'vitest';
import type { Action, DecideInput } from '../../src/index.js';
import { decide, type HaMemory } from '../../src/ha/index.js';

export interface DecideCase {
  readonly name: string;
  readonly input: DecideInput<HaMemory>;
  readonly ruleId?: string | RegExp;
  readonly message?: string | RegExp;
  /** Exact action types in order. */
  readonly actions?: readonly Action['type'][];
  readonly includes?: readonly Partial<Action>[];
  readonly excludes?: readonly Action['type'][];
  /** Actions that must not appear with these fields (an `expect.any(...)` matches any value). */
  readonly lacks?: readonly Record<string, unknown>[];
  readonly awaiting?: 'peers' | 'failsafe' | 'leader-history';
  readonly memory?: Partial<HaMemory>;
  readonly reason?: RegExp;
  /** Whether the decision marks our history as diverged and unrepaired. */
  readonly diverged?: boolean;
}

function matches(actual: string, expected: string | RegExp): boolean {
  return typeof expected === 'string' ? actual === expected : expected.test(actual);
}

export function runCases(cases: readonly DecideCase[]): void {
  for (const testCase of cases) {
    it(testCase.name, () => {
      const result = decide(testCase.input);
      const summary = `${result.ruleId}: ${result.message} [${result.actions.map((action) => action.type).join(', ')}]`;
      if (testCase.ruleId !== undefined) expect(matches(result.ruleId, testCase.ruleId), summary).toBe(true);
      if (testCase.message !== undefined) expect(matches(result.message, testCase.message), summary).toBe(true);
      if (testCase.actions !== undefined) expect(result.actions.map((action) => action.type), summary).toEqual(testCase.actions);
      for (const partial of testCase.includes ?? []) expect(result.actions, summary).toContainEqual(expect.objectContaining(partial));
      for (const type of testCase.excludes ?? []) expect(result.actions.map((action) => action.type), summary).not.toContain(type);
      for (const partial of testCase.lacks ?? []) expect(result.actions, summary).not.toContainEqual(expect.objectContaining(partial));
      if (testCase.awaiting !== undefined) expect(result.awaiting, summary).toBe(testCase.awaiting);
      if (testCase.memory !== undefined) expect(result.memory, summary).toMatchObject(testCase.memory);
      if (testCase.reason !== undefined) expect(result.reason ?? '', summary).toMatch(testCase.reason);
      if (testCase.diverged !== undefined) expect(result.diverged === true, summary).toBe(testCase.diverged);
    });
  }
}
