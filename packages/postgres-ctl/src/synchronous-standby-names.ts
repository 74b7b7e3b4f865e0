/**
 * synchronous_standby_names from the decided sync standbys. Priority syntax
 * `N (a,b)` is Patroni's; quorum `ANY N (a,b)` is Patroni 4's quorum mode.
 */
export interface SynchronousNamesOptions {
  /** `priority` (default): the first `count` listed are sync; `quorum`: any `count` of them. */
  readonly mode?: 'priority' | 'quorum';
  /** How many must confirm; default = all names (priority) as Patroni renders it. */
  readonly count?: number;
}

function quoteName(name: string): string {
  return /^[A-Za-z_][A-Za-z_0-9$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

export function renderSynchronousStandbyNames(names: readonly string[], options: SynchronousNamesOptions = {}): string {
  if (names.length === 0) return '';
  if (names.includes('*')) return '*';
  const list = names.map(quoteName).join(',');
  const count = Math.max(1, Math.min(options.count ?? names.length, names.length));
  if (options.mode === 'quorum') return `ANY ${count} (${list})`;
  if (names.length === 1) return list;
  return `${count} (${list})`;
}
