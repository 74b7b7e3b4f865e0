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
]);

export function isLongAction(action: Action): boolean {
  return longActionTypes.has(action.type);
}

export function describeAction(action: Action): string {
  return backgroundActionName(action) ?? describeLocally(action);
}

function describeLocally(action: Action): string {
  switch (action.type) {
    case 'bootstrap':
      return 'bootstrap';
    case 'create-replica':
      return action.source?.name !== undefined ? `bootstrap from leader '${action.source.name}'` : 'bootstrap (without leader)';
    case 'promote':
      return 'promote';
    case 'demote':
      return action.mode === 'offline'
        ? 'demoting self because DCS is not accessible and I was a leader'
        : action.mode === 'graceful'
          ? 'switchover: demote'
          : 'failover: demote';
    case 'restart':
      return 'restart';
    case 'rewind':
      return `running pg_rewind from ${action.source.name ?? 'the leader'}`;
    case 'reinitialize':
      return 'reinitialize';
    case 'crash-recovery':
      return 'doing crash recovery in a single user mode';
    case 'start':
      return action.asPrimary ? 'starting primary after failure' : 'starting as a secondary';
    default:
      return action.type;
  }
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
  'set-synchronous-standby-names',
  'remove-data-directory',
]);

/** Actions after which the member key should be built from a fresh observation. */
export function isPostgresAction(action: Action): boolean {
  return postgresActionTypes.has(action.type);
}
