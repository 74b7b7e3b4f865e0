/**
 * Replication slots kept by the leader (Patroni's slot sync, spec/ha-loop.md
 * §4 step 13): one physical slot per member that streams from us, plus the
 * permanent physical slots of the dynamic configuration. A replica's slot
 * exists before its clone finishes (its member key appears when it starts),
 * so WAL it needs is never recycled. While paused unknown slots are kept.
 */
import type { Cluster } from '@pgwarden/core';
import type { PostgresCtl } from '@pgwarden/postgres-ctl';
import type { AgentLogger } from '../logger.js';
import type { CycleSnapshot } from '../runtime/runtime-types.js';
import type { AgentConfiguration } from './agent-configuration.js';


function streamingMembers(cluster: Cluster, self: string): string[] {
  return cluster.members
    .filter((member) => member.name !== self)
    .filter((member) => member.data.tags?.nostream !== true)
    .filter((member) => {
      const from = member.data.tags?.replicatefrom;
      return from === undefined || from === self || !cluster.members.some((other) => other.name === from);
    })
    .map((member) => member.name);
}

function permanentPhysicalSlots(configuration: AgentConfiguration): string[] {
  const slots = (configuration.dynamic as { slots?: Record<string, { type?: string } | null> }).slots ?? {};
  return Object.entries(slots)
    .filter(([, slot]) => slot === null || slot?.type === undefined || slot.type === 'physical')
    .map(([name]) => name);
}

export async function syncSlots(ctl: Pick<PostgresCtl, 'syncReplicationSlots'>, configuration: AgentConfiguration, snapshot: CycleSnapshot, logger: AgentLogger): Promise<void> {
  const { cluster, local } = snapshot;
  if (cluster === undefined || !local.running || !local.accepting || local.inRecovery) return;
  // The cycle that took the lock (bootstrap, a won race) read the cluster before taking it: no leader
  // there yet, but the replicas' member keys are, and a clone started now needs its slot at once.
  const tookItThisCycle = cluster.leader === undefined && snapshot.lockRenewedAtMs !== undefined;
  if (cluster.leader?.name !== snapshot.self.name && !tookItThisCycle) return;
  if (configuration.effective.postgresql.use_slots === false) return;
  const outcome = await ctl.syncReplicationSlots({
    members: streamingMembers(cluster, snapshot.self.name),
    permanent: permanentPhysicalSlots(configuration),
    dropUnknown: !snapshot.settings.paused,
  });
  if (outcome.created.length > 0 || outcome.dropped.length > 0) {
    logger.info({ created: outcome.created, dropped: outcome.dropped }, 'replication slots synchronised');
  }
}
