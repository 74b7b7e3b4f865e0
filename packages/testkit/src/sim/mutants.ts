/**
 * Deliberately broken variants of decide(), each violating one DESIGN
 * invariant. The simulator must catch every one of them within a bounded
 * number of seeds — the evidence that its checks can fail.
 */
import { decide } from '@pgwarden/core';
import type { Action } from '@pgwarden/core';
import type { DecideFn } from './world.js';

const withoutActions = (drop: (action: Action) => boolean): DecideFn => (input) => {
  const result = decide(input);
  return { ...result, actions: result.actions.filter((action) => !drop(action)) };
};

export const mutants: Readonly<Record<string, { readonly decide: DecideFn; readonly invariants: readonly string[] }>> = {
  /** Promotes without winning the leader key first. */
  'promote-without-lock': {
    decide: withoutActions((action) => action.type === 'acquire-lock'),
    invariants: ['promote-without-lock', 'two-primaries'],
  },
  /** Keeps running as primary when the lock is lost or cannot be renewed. */
  'no-demote-on-lock-loss': {
    decide: withoutActions((action) => action.type === 'demote' && (action.mode === 'immediate-nolock' || action.mode === 'offline')),
    invariants: ['two-primaries'],
  },
  /** Does not see /sync, so a non-synchronous member races and is promoted. */
  'promote-non-sync': {
    decide: (input) => {
      if (!input.cluster.ok || input.cluster.value.sync === undefined) return decide(input);
      const { sync: _sync, ...value } = input.cluster.value;
      return decide({ ...input, cluster: { ok: true, value } });
    },
    invariants: ['non-sync-promoted', 'sync-write-lost'],
  },
  /** Ignores pause (maintenance mode). */
  'act-while-paused': {
    decide: (input) => decide({ ...input, settings: { ...input.settings, paused: false } }),
    invariants: ['pause'],
  },
};
