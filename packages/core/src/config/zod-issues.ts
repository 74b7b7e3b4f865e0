/**
 * zod's issues → ConfigIssue, phrased as "expected X, found Y" with the value
 * actually found, and placed at the file position (or the environment
 * variable) that produced the value.
 */
import type { z } from 'zod';
import { describeFound, formatConfigPath, type ConfigIssue, type ConfigIssueSource, type ConfigPathSegment } from './issues.js';
import { getAtPath } from './merge.js';
import type { ParsedYaml } from './yaml-source.js';

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean (true or false)',
  array: 'a list',
  object: 'a map',
  null: 'an empty value',
};

function describeType(type: string): string {
  return TYPE_WORDS[type] ?? type;
}

function expectedFromMessage(message: string): string | undefined {
  return message.startsWith('expected ') ? message.slice('expected '.length) : undefined;
}

function expectedOfUnion(issue: Extract<z.ZodIssue, { code: 'invalid_union' }>): string {
  const fromMessage = expectedFromMessage(issue.message);
  if (fromMessage) return fromMessage;
  const types = new Set<string>();
  for (const error of issue.unionErrors) {
    for (const inner of error.issues) {
      if (inner.path.length !== issue.path.length) continue;
      if (inner.code === 'invalid_type') types.add(describeType(inner.expected));
      else types.add(expectedFromMessage(inner.message) ?? inner.message);
    }
  }
  return types.size > 0 ? [...types].join(' or ') : 'a valid value';
}

function expectedOf(issue: z.ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return describeType(issue.expected);
    case 'invalid_enum_value':
      return `one of ${issue.options.map(String).join(', ')}`;
    case 'invalid_literal':
      return JSON.stringify(issue.expected);
    case 'invalid_union':
      return expectedOfUnion(issue);
    case 'custom': {
      const expected = (issue.params as { expected?: unknown } | undefined)?.expected;
      return typeof expected === 'string' ? expected : (expectedFromMessage(issue.message) ?? issue.message);
    }
    default:
      return expectedFromMessage(issue.message) ?? issue.message;
  }
}

export interface IssueLocator {
  readonly sources: readonly ParsedYaml[];
  readonly envOrigins: ReadonlyMap<string, string>;
}

/** The environment variable or file position that wrote `path`. */
export function locatePath(path: readonly ConfigPathSegment[], locator: IssueLocator): ConfigIssueSource | undefined {
  for (let length = path.length; length > 0; length -= 1) {
    const variable = locator.envOrigins.get(path.slice(0, length).map(String).join('.'));
    if (variable) return { kind: 'env', variable };
  }
  let best: { file: string; line: number; column: number; depth: number } | undefined;
  for (const source of locator.sources) {
    const position = source.locate(path);
    if (!best || position.depth >= best.depth) best = { file: source.file, ...position };
  }
  return best ? { kind: 'file', file: best.file, line: best.line, column: best.column } : undefined;
}

/** An issue about the value at `path` (its found value is read from `value`). */
export function makeIssue(
  severity: ConfigIssue['severity'],
  path: readonly ConfigPathSegment[],
  expected: string,
  value: unknown,
  locator: IssueLocator,
): ConfigIssue {
  const foundValue = getAtPath(value, path);
  const found = describeFound(foundValue, path);
  const message =
    path.length === 0 ? `expected ${expected}` : foundValue === undefined ? `missing: expected ${expected}` : `expected ${expected}, found ${found}`;
  const source = locatePath(path, locator);
  return { severity, path: formatConfigPath(path), message, expected, found, ...(source ? { source } : {}) };
}

export function fromZodIssues(issues: readonly z.ZodIssue[], value: unknown, locator: IssueLocator): ConfigIssue[] {
  return issues.map((issue) => makeIssue('error', issue.path, expectedOf(issue), value, locator));
}
