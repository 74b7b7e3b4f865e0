/**
 * Which actions run in the background, and the names Patroni gives them in
 * its status messages (`... is already in progress`), so operators see the
 * words they know.
 */
import { backgroundActionName, type Action } from '@pgwarden/core';

const longActionTypes: ReadonlySet<Action['type']> = new Set([
  'bootstrap',
  'create-replica',
  'promote',
  'demote',
  'restart',
  'rewind',
  'reinitialize',
  'crash-recovery',
  'start',
  'copy-logical-slots',
]);

export function isLongAction(action: Action): boolean {
  return longActionTypes.has(action.type);
}

/** Patroni's name for a background action (core decides it); other actions by their type. */
export function describeAction(action: Action): string {
  return backgroundActionName(action) ?? action.type;
}

const postgresActionTypes: ReadonlySet<Action['type']> = new Set([
  'start',
  'stop',
  'restart',
  'reload',
  'promote',
  'demote',
  'follow',
  'checkpoint',
  'copy-logical-slots',
  'set-synchronous-standby-names',
  'remove-data-directory',
]);

/** Actions after which the member key should be built from a fresh observation. */
export function isPostgresAction(action: Action): boolean {
  return postgresActionTypes.has(action.type);
}
