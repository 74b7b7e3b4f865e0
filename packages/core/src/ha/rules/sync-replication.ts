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
import type { HaMemory } from '../memory.js';
import { factsOfPending, guaranteeOfKey, guaranteeOfSetting, isAbsorbed, planQuorum, type PendingGuarantee, type QuorumKey } from '../quorum.js';
import { committedPosition, intersectNames, sameNames, selectSyncStandbys, synchronousStandbyNamesValue, type SyncEligibleMember } from '../sync-standbys.js';

export interface SyncUpkeep {
  readonly actions: Action[];
  readonly memory?: Partial<HaMemory>;
}

/** Members that may be synchronous: not us, not nosync (nor `sync_priority: 0`), not nostream. */
function eligibleSyncMembers(ctx: Context): SyncEligibleMember[] {
  return ctx.cluster.members
    .filter((member) => member.name !== ctx.name && !isNoSync(member.data.tags) && member.data.tags?.nostream !== true)
    .map((member) => ({ name: member.name, syncPriority: syncPriority(member.data.tags) }));
}

export function syncReplicationActions(ctx: Context): SyncUpkeep {
  const { settings, local } = ctx.input;
  const sync = ctx.cluster.sync;
  if (!syncModeActive(ctx)) {
    const actions: Action[] = [];
    if (sync !== undefined && sync.leader) actions.push({ type: 'delete-sync', version: sync.version });
    if ((local.synchronousStandbyNames ?? '') !== '' && sync !== undefined && sync.leader) {
      actions.push({ type: 'set-synchronous-standby-names', value: '' });
    }
    return { actions, memory: { quorum: undefined, syncSetting: undefined } };
  }
  if (sync === undefined || !sync.leader || sync.leader !== ctx.name) {
    // Claim /sync for ourselves with nobody named: safe, names nobody promotable but us.
    const claim: Action = { type: 'write-sync', leader: ctx.name, standbys: [], ...(sync === undefined ? {} : { version: sync.version }), ...(settings.synchronousMode === 'quorum' ? { quorum: 0 } : {}) };
    return { actions: [claim], memory: { quorum: undefined, syncSetting: undefined } };
  }
  if (settings.synchronousMode === 'quorum') return quorumUpkeep(ctx, sync.version, { quorum: sync.quorum ?? 0, voters: sync.syncStandbys });
  return priorityUpkeep(ctx, sync.syncStandbys, sync.version);
}

/**
 * Priority mode (`N (a,b)`): only names PostgreSQL confirms synchronous enter
 * `/sync`, and only once they hold every commit acknowledged before: their
 * committed position has reached the primary's position when the current
 * synchronous_standby_names was first seen in force (a standby named a
 * moment ago is `sync` at once, but commits acknowledged by the standby it
 * replaced may not have reached it yet — the simulator's replica-stall found
 * such a member promoted without them; Patroni 3.0 guards the same way).
 * Without memory of when the value came into force (a restart), the current
 * position is that moment.
 */
function priorityUpkeep(ctx: Context, current: readonly string[], version: number): SyncUpkeep {
  const { settings, local } = ctx.input;
  const setting = local.synchronousStandbyNames ?? '';
  const known = ctx.memory.syncSetting;
  const seen = known !== undefined && known.setting.trim() === setting.trim() ? known : { setting, sinceLsn: local.walPosition ?? Number.MAX_SAFE_INTEGER };
  const positions = memberPositions(ctx);
  const selection = selectSyncStandbys({
    replication: local.replication,
    eligible: eligibleSyncMembers(ctx),
    count: settings.synchronousNodeCount,
    current,
    maximumLagBytes: settings.maximumLagOnSyncnodeBytes,
    synchronousCommit: local.synchronousCommit,
    primaryWalPosition: local.walPosition,
  });
  const candidates = selection.candidates;
  const confirmed = selection.confirmed.filter((name) => (positions.get(name) ?? -1) >= seen.sinceLsn);
  const actions: Action[] = [];
  const kept = intersectNames(current, confirmed);
  if (!sameNames(kept, current)) actions.push({ type: 'write-sync', leader: ctx.name, standbys: kept, version });
  const wanted = synchronousStandbyNamesValue(candidates, settings.synchronousNodeCount, settings.synchronousModeStrict);
  if (setting !== wanted) actions.push({ type: 'set-synchronous-standby-names', value: wanted });
  if (confirmed.length > 0 && !sameNames(confirmed, kept) && actions.length === 0) {
    actions.push({ type: 'write-sync', leader: ctx.name, standbys: confirmed, version });
  }
  return { actions, memory: { quorum: undefined, syncSetting: seen } };
}

/** Flushed (or written/applied, per synchronous_commit) position of each member streaming from us. */
function memberPositions(ctx: Context): Map<string, number> {
  const positions = new Map<string, number>();
  for (const row of ctx.input.local.replication) {
    const lsn = committedPosition(row, ctx.input.local.synchronousCommit);
    if (row.state === 'streaming' && lsn !== undefined) positions.set(row.applicationName, Math.max(lsn, positions.get(row.applicationName) ?? 0));
  }
  return positions;
}

/**
 * Quorum mode (./quorum.ts): track which guarantees are in force, then one
 * step of the plan — `/sync` first, synchronous_standby_names second, each
 * step covered by the key written before it.
 */
function quorumUpkeep(ctx: Context, version: number, key: QuorumKey): SyncUpkeep {
  const { settings, local } = ctx.input;
  const walPosition = local.walPosition;
  if (walPosition === undefined) return { actions: [] };
  const setting = local.synchronousStandbyNames ?? '';
  const positions = memberPositions(ctx);
  // Without memory (a restart, a new term) the key found is all we know of the commits made so far.
  const known = ctx.memory.quorum ?? { setting, pending: [{ ...guaranteeOfKey(key), untilLsn: walPosition }] };
  let pending: PendingGuarantee[] = [...known.pending];
  if (known.setting.trim() !== setting.trim()) pending.push({ ...guaranteeOfSetting(known.setting), untilLsn: walPosition });
  const current = guaranteeOfSetting(setting);
  pending = pending.filter((guarantee) => !isAbsorbed(guarantee, current, positions));
  const active = selectSyncStandbys({
    replication: local.replication,
    eligible: eligibleSyncMembers(ctx),
    count: Number.MAX_SAFE_INTEGER,
    current: key.voters,
    maximumLagBytes: settings.maximumLagOnSyncnodeBytes,
    synchronousCommit: local.synchronousCommit,
    primaryWalPosition: walPosition,
  }).candidates;
  const plan = planQuorum({
    key,
    setting,
    pending: pending.map((guarantee) => factsOfPending(guarantee, positions)),
    active,
    wanted: settings.synchronousNodeCount,
    strict: settings.synchronousModeStrict,
  });
  const actions: Action[] = [];
  if (plan.key !== undefined) actions.push({ type: 'write-sync', leader: ctx.name, standbys: plan.key.voters, quorum: plan.key.quorum, version });
  if (plan.setting !== undefined) actions.push({ type: 'set-synchronous-standby-names', value: plan.setting });
  return { actions, memory: { quorum: { setting, pending } } };
}
