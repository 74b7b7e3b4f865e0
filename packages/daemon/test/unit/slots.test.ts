/**
 * Which replication slots the leader keeps (after each cycle), and when:
 * one per member streaming from us plus the permanent ones, from the cycle
 * that took the lock on (its cluster read shows no leader yet, but the
 * replicas' member keys are there and their clones need the slots at once).
 */
import type { Cluster, Member } from '@pgwarden/core';
import type { DesiredSlots } from '@pgwarden/postgres-ctl';
import { describe, expect, it } from 'vitest';
import { AgentConfiguration } from '../../src/adapters/agent-configuration.js';
import { syncSlots } from '../../src/adapters/slots.js';
import type { CycleSnapshot } from '../../src/runtime/runtime-types.js';
import { memberConfig, recordingLogger, runningPrimary } from '../doubles.js';

function member(name: string, tags: Record<string, unknown> = {}): Member {
  return { name, version: 1, data: { role: 'replica', state: 'running', tags } };
}

function snapshotWith(cluster: Cluster, lockRenewedAtMs: number | undefined): CycleSnapshot {
  const self = { name: 'node1', apiUrl: 'http://127.0.0.1:8008/patroni', connUrl: 'postgres://127.0.0.1:5432/postgres', tags: {} };
  return { self, cluster, local: runningPrimary, lockRenewedAtMs, settings: { paused: false } } as unknown as CycleSnapshot;
}

async function desiredFor(snapshot: CycleSnapshot): Promise<DesiredSlots | undefined> {
  let desired: DesiredSlots | undefined;
  const ctl = {
    syncReplicationSlots: async (wanted: DesiredSlots) => {
      desired = wanted;
      return { created: [], dropped: [], keptActive: [] };
    },
  };
  const configuration = new AgentConfiguration(memberConfig(['bootstrap: {dcs: {slots: {archiver: {type: physical}}}}']), {}, recordingLogger());
  await syncSlots(ctl, configuration, snapshot, recordingLogger());
  return desired;
}

const members = [member('node1'), member('node2'), member('node3', { nostream: true })];

describe('replication slots kept by the leader', () => {
  it('one per streaming member (not nostream) and the permanent ones, when the lock is ours', async () => {
    const desired = await desiredFor(snapshotWith({ members, leader: { name: 'node1', version: 3 }, lastLsn: 0 }, 1000));
    expect(desired).toMatchObject({ members: ['node2'], permanent: ['archiver'] });
  });

  it('already in the cycle that took the lock, whose cluster read shows no leader yet', async () => {
    const desired = await desiredFor(snapshotWith({ members, lastLsn: 0 }, 1000));
    expect(desired?.members).toEqual(['node2']);
  });

  it('not when another member holds the lock, nor with no lock at all', async () => {
    expect(await desiredFor(snapshotWith({ members, leader: { name: 'node2', version: 3 }, lastLsn: 0 }, 1000))).toBeUndefined();
    expect(await desiredFor(snapshotWith({ members, lastLsn: 0 }, undefined))).toBeUndefined();
  });
});
