/**
 * `ignore_slots` (spec/config.md §4, spec/postgres.md §10): replication
 * slots that a leader never drops although it did not create them (slots of
 * a logical decoding tool, a backup system, ...). A matcher matches a slot
 * when every key it sets is equal to the slot's: `name`, `type`, `database`,
 * `plugin` (Patroni's rule; an unset or empty key matches anything, and a
 * physical slot has no database nor plugin).
 */

export interface SlotMatcher {
  readonly name?: string;
  readonly type?: 'physical' | 'logical';
  readonly database?: string;
  readonly plugin?: string;
}

export interface ObservedSlot {
  readonly name: string;
  readonly type: 'physical' | 'logical';
  readonly database?: string;
  readonly plugin?: string;
}

function matches(matcher: SlotMatcher, slot: ObservedSlot): boolean {
  if (matcher.name !== undefined && matcher.name !== slot.name) return false;
  return (['type', 'database', 'plugin'] as const).every((key) => {
    const wanted = matcher[key];
    return wanted === undefined || wanted === '' || wanted === slot[key];
  });
}

/** True when one of `matchers` says the slot must be left alone. */
export function isIgnoredSlot(slot: ObservedSlot, matchers: readonly SlotMatcher[] | undefined): boolean {
  return (matchers ?? []).some((matcher) => matches(matcher, slot));
}
