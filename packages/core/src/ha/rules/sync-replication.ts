/**
 * Synchronous replication upkeep by the running primary (spec/ha-loop.md
 * §9.6). Order is the invariant: narrow `/sync` before PostgreSQL stops
 * waiting for a standby; name a standby in `/sync` only after PostgreSQL
 * confirms it synchronous. Hence only confirmed names ever enter `/sync`.
 */
import type { Action } from '../../model/actions.js';
import type { Context } from '../context.js';
import { syncModeActive } from '../context.js';
import { isNoSync, syncPriority } from '../../model/cluster-helpers.js';
import { intersectNames, sameNames, selectSyncStandbys, synchronousStandbyNamesValue, type SyncEligibleMember } from '../sync-standbys.js';

/** Members that may be synchronous: not us, not nosync (nor `sync_priority: 0`), not nostream. */
function eligibleSyncMembers(ctx: Context): SyncEligibleMember[] {
  return ctx.cluster.members
    .filter((member) => member.name !== ctx.name && !isNoSync(member.data.tags) && member.data.tags?.nostream !== true)
    .map((member) => ({ name: member.name, syncPriority: syncPriority(member.data.tags) }));
}

export function syncReplicationActions(ctx: Context): Action[] {
  const { settings, local } = ctx.input;
  const sync = ctx.cluster.sync;
  if (!syncModeActive(ctx)) {
    const actions: Action[] = [];
    if (sync !== undefined && sync.leader) actions.push({ type: 'delete-sync', version: sync.version });
    if ((local.synchronousStandbyNames ?? '') !== '' && sync !== undefined && sync.leader) {
      actions.push({ type: 'set-synchronous-standby-names', value: '' });
    }
    return actions;
  }
  if (sync === undefined || !sync.leader || sync.leader !== ctx.name) {
    // Claim /sync for ourselves with nobody named: safe, names nobody promotable but us.
    return [{ type: 'write-sync', leader: ctx.name, standbys: [], ...(sync === undefined ? {} : { version: sync.version }) }];
  }
  const current = sync.syncStandbys;
  const { candidates, confirmed } = selectSyncStandbys({
    replication: local.replication,
    eligible: eligibleSyncMembers(ctx),
    count: settings.synchronousNodeCount,
    current,
    maximumLagBytes: settings.maximumLagOnSyncnodeBytes,
    synchronousCommit: local.synchronousCommit,
    primaryWalPosition: local.walPosition,
  });
  const actions: Action[] = [];
  const kept = intersectNames(current, confirmed);
  if (!sameNames(kept, current)) actions.push({ type: 'write-sync', leader: ctx.name, standbys: kept, version: sync.version });
  const wanted = synchronousStandbyNamesValue(candidates, settings.synchronousNodeCount, settings.synchronousModeStrict);
  if ((local.synchronousStandbyNames ?? '') !== wanted) actions.push({ type: 'set-synchronous-standby-names', value: wanted });
  if (confirmed.length > 0 && !sameNames(confirmed, kept) && actions.length === 0) {
    actions.push({ type: 'write-sync', leader: ctx.name, standbys: confirmed, version: sync.version });
  }
  return actions;
}
