/**
 * The names Patroni gives its background actions; the runtime uses them for
 * `RunningAction.name`, so `<name> in progress` reads as Patroni's does.
 */
import type { Action } from '../model/actions.js';

export function backgroundActionName(action: Action): string | undefined {
  switch (action.type) {
    case 'bootstrap':
      return 'bootstrap';
    case 'create-replica':
      return action.source?.name === undefined ? 'bootstrap (without leader)' : `bootstrap from ${action.source.name === 'remote_member' ? 'remote member' : `'${action.source.name}'`}`;
    case 'promote':
      return 'promote';
    case 'demote':
      return action.mode === 'offline' ? 'demoting self because DCS is not accessible and I was a leader' : action.mode === 'graceful' ? 'switchover: demote' : 'starting after demotion';
    case 'start':
      return action.asPrimary ? 'starting primary after failure' : 'restarting after failure';
    case 'restart':
      return 'restart';
    case 'reinitialize':
      return 'reinitialize';
    case 'rewind':
      return `running pg_rewind from ${action.source.name ?? 'leader'}`;
    case 'crash-recovery':
      return 'doing crash recovery in a single user mode';
    case 'follow':
      return 'changing primary_conninfo and restarting';
    case 'checkpoint':
      return 'checkpoint after promote';
    case 'copy-logical-slots':
      return 'copy_logical_slots';
    default:
      return undefined;
  }
}
