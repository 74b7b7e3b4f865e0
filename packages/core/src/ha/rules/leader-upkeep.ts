/**
 * What the leader keeps in order once its lock is renewed, after the
 * decision's own actions (spec/ha-loop.md §4 step 13, §5.2):
 *
 * - `/config` — written when the cluster has none (after bootstrap, after a
 *   wiped DCS), create-only, from the dynamic configuration this member
 *   holds, so an operator's edit is never overwritten;
 * - replication slots — one physical slot per member that streams from us
 *   (not `nostream`, not cascading from another member that exists) and each
 *   permanent physical slot; unknown ones are dropped except in pause and
 *   except those `ignore_slots` matches (the adapter applies isIgnoredSlot). A
 *   replica's slot exists before its clone finishes (its member key appears
 *   when the clone starts), so WAL it needs is never recycled.
 */
import type { Action } from '../../model/actions.js';
import type { Cluster } from '../../model/cluster.js';
import type { Context } from '../context.js';

export function clusterConfigActions(ctx: Context): Action[] {
  const wanted = ctx.input.dynamicConfig;
  const current = ctx.cluster.config;
  if (wanted === undefined || (current !== undefined && Object.keys(current.data).length > 0)) return [];
  return [{ type: 'write-config', value: wanted, version: current?.version ?? 0 }];
}

function streamingMembers(cluster: Cluster, self: string): string[] {
  return cluster.members
    .filter((member) => member.name !== self)
    .filter((member) => member.data.tags?.['nostream'] !== true)
    .filter((member) => {
      const from = member.data.tags?.['replicatefrom'];
      return from === undefined || from === self || !cluster.members.some((other) => other.name === from);
    })
    .map((member) => member.name);
}

export function slotActions(ctx: Context): Action[] {
  const { local, settings } = ctx.input;
  if (settings.useSlots === false || !local.running || !local.accepting || local.inRecovery) return [];
  const ignore = settings.ignoreSlots ?? [];
  return [
    {
      type: 'sync-slots',
      members: streamingMembers(ctx.cluster, ctx.name),
      permanent: settings.permanentSlots ?? [],
      dropUnknown: !settings.paused,
      ...(ignore.length > 0 ? { ignore } : {}),
    },
  ];
}

/**
 * A running replica keeps a slot for each member that streams from it
 * (spec/postgres.md §slots): the members whose `replicatefrom` names us —
 * or, for the standby leader of a standby cluster, every member that
 * follows it. Nothing is dropped here: a replica's other slots may be
 * copies an operator or a backup tool relies on. Only emitted when someone
 * cascades from us, so the idle replica cycle costs no query.
 */
export function replicaSlotActions(ctx: Context, standbyLeader: boolean): Action[] {
  const { local, settings } = ctx.input;
  if (settings.useSlots === false || !local.running || !local.inRecovery) return [];
  const members = standbyLeader
    ? streamingMembers(ctx.cluster, ctx.name)
    : ctx.cluster.members
        .filter((member) => member.name !== ctx.name && member.name !== ctx.cluster.leader?.name)
        .filter((member) => member.data.tags?.['nostream'] !== true && member.data.tags?.['replicatefrom'] === ctx.name)
        .map((member) => member.name);
  if (members.length === 0) return [];
  return [{ type: 'sync-slots', members, permanent: [], dropUnknown: false }];
}

/** Appended to a leader's decision: nothing here may stand in front of a promotion or a demotion. */
export function leaderUpkeep(ctx: Context): Action[] {
  return [...clusterConfigActions(ctx), ...slotActions(ctx)];
}
