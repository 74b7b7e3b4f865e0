/**
 * Patroni's option lists (`bootstrap.initdb`, `postgresql.basebackup`,
 * custom method sections) → command-line arguments, refusing the options
 * the library sets itself.
 */
import { PgwardenError } from '@pgwarden/core';
import type { CustomMethod, OptionList } from './options.js';

export function optionListArguments(list: OptionList | undefined, forbidden: readonly string[], what: string): string[] {
  if (!list) return [];
  const pairs: Array<[string, string | number | boolean | undefined]> = [];
  if (Array.isArray(list)) {
    for (const item of list) {
      if (typeof item === 'string') pairs.push([item, undefined]);
      else for (const [key, value] of Object.entries(item)) pairs.push([key, value]);
    }
  } else {
    for (const [key, value] of Object.entries(list)) pairs.push([key, value]);
  }
  return pairs.map(([key, value]) => {
    const name = key.replace(/^-+/, '');
    if (forbidden.includes(name)) throw new PgwardenError('pg-option-forbidden', `${what} option "${name}" is set by pgwarden and may not be given`);
    return value === undefined || value === true ? `--${name}` : `--${name}=${String(value)}`;
  });
}

/** Split a command line the way a POSIX shell would for simple quoting (no expansion). */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let match = pattern.exec(command); match; match = pattern.exec(command)) {
    words.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] ?? match[3] ?? ''));
  }
  return words;
}

const methodKeys = ['command', 'no_params', 'keep_data', 'no_leader', 'no_master', 'keep_existing_recovery_conf', 'recovery_conf'];

/** `--key=value` for the user keys of a method section. */
export function methodUserArguments(section: CustomMethod, reserved: readonly string[] = []): string[] {
  return Object.entries(section)
    .filter(([key, value]) => !methodKeys.includes(key) && !reserved.includes(key) && typeof value !== 'object')
    .map(([key, value]) => `--${key}=${String(value)}`);
}
