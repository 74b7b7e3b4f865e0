import { describe, expect, it } from 'vitest';
import { decide, type HaMemory } from '../../src/ha/index.js';
import type { Action, DecideInput } from '../../src/index.js';
import { runCases } from './case-runner.js';
import { cluster, input, leaderInput, member, primaryLocal, replicaLocal, streamingStandby } from './fixtures.js';

const cdc = { name: 'cdc', database: 'app', plugin: 'test_decoding' };
const slotSettings = { useSlots: true, memberSlotsTtlSeconds: 0, permanentSlots: ['backup'], permanentLogicalSlots: [cdc] };
const leaderSlots = [
  { name: 'backup', type: 'physical' as const, active: false, restartLsn: 40_000_000 },
  { name: 'cdc', type: 'logical' as const, database: 'app', plugin: 'test_decoding', active: true, restartLsn: 39_000_000, confirmedFlushLsn: 45_000_000 },
];
const published = cluster({ slots: { backup: 40_000_000, cdc: 45_000_000 } });
const replicaWithCopy = [
  { name: 'backup', type: 'physical' as const, active: false, restartLsn: 30_000_000 },
  { name: 'cdc', type: 'logical' as const, database: 'app', plugin: 'test_decoding', active: false, confirmedFlushLsn: 30_000_000 },
];

describe('decide: permanent logical slots and their copies on replicas (spec/postgres.md §slots)', () => {
  runCases([
    {
      name: 'primary: the logical slot travels with sync-slots; the renewal publishes permanent slot positions in /status',
      input: leaderInput({ settings: slotSettings, local: primaryLocal({ replication: [streamingStandby('node2')], replicationSlots: leaderSlots }) }),
      includes: [
        { type: 'update-lock', slots: { backup: 40_000_000, cdc: 45_000_000 } },
        { type: 'sync-slots', permanent: ['backup'], logical: [cdc], dropUnknown: true },
      ],
    },
    {
      name: 'primary: a permanent slot named after the leader itself is published at its WAL position',
      input: leaderInput({ settings: { useSlots: true, permanentSlots: ['node1'] }, local: primaryLocal({ walPosition: 77_000_000, replicationSlots: [] }) }),
      includes: [{ type: 'update-lock', slots: { node1: 77_000_000 } }],
    },
    {
      name: 'replica: keeps the permanent physical slot and the logical copy, both advanced to the published positions',
      input: input({ settings: slotSettings, cluster: published, local: replicaLocal({ serverVersion: 150004, replicationSlots: replicaWithCopy }) }),
      ruleId: 'follow.leader',
      includes: [{ type: 'sync-slots', members: [], permanent: ['backup'], logical: [cdc], dropUnknown: true, advance: { backup: 40_000_000, cdc: 45_000_000 } }],
      excludes: ['copy-logical-slots'],
    },
    {
      name: 'replica: a permanent physical slot named after a member follows that member\'s reported position too',
      input: input({ settings: { useSlots: true, memberSlotsTtlSeconds: 0, permanentSlots: ['node3'] }, cluster: cluster({ slots: { node3: 1_000 } }), local: replicaLocal({ replicationSlots: [] }) }),
      includes: [{ type: 'sync-slots', permanent: ['node3'], advance: { node3: 50_000_000 } }],
    },
    {
      name: 'replica without the copy: copies it from the primary (a restart of this replica)',
      input: input({ settings: slotSettings, cluster: published, local: replicaLocal({ replicationSlots: [replicaWithCopy[0]!] }) }),
      ruleId: 'follow.leader.copy-logical-slots',
      message: "Copying logical slots ['cdc'] from the primary",
      includes: [{ type: 'copy-logical-slots', slots: [cdc], source: { name: 'node1', connUrl: 'postgres://10.0.0.1:5432/postgres' } }],
    },
    {
      name: 'replica whose copy has another plugin: copied again',
      input: input({ settings: slotSettings, cluster: published, local: replicaLocal({ replicationSlots: [{ ...replicaWithCopy[1]!, plugin: 'pgoutput' }] }) }),
      includes: [{ type: 'copy-logical-slots', slots: [cdc] }],
    },
    {
      name: 'replica: no copy before the leader published a position for the slot',
      input: input({ settings: slotSettings, cluster: cluster({ slots: { backup: 40_000_000 } }), local: replicaLocal({ replicationSlots: [] }) }),
      excludes: ['copy-logical-slots'],
    },
    {
      name: 'replica: no copy while paused (the copy restarts PostgreSQL)',
      input: input({ settings: { ...slotSettings, paused: true }, cluster: published, local: replicaLocal({ replicationSlots: [] }) }),
      excludes: ['copy-logical-slots'],
    },
    {
      name: 'replica: no copy while the leader does not run as primary (nothing to read the slot from)',
      input: input({ settings: slotSettings, cluster: cluster({ slots: published.slots, members: [member('node1', { role: 'replica' }), member('node2'), member('node3')] }), local: replicaLocal({ replicationSlots: [] }) }),
      excludes: ['copy-logical-slots'],
    },
    {
      name: 'nofailover replica: no permanent slots, no copies',
      input: input({ settings: slotSettings, tags: { nofailover: true }, cluster: published, local: replicaLocal({ replicationSlots: [] }) }),
      excludes: ['copy-logical-slots', 'sync-slots'],
    },
    {
      name: 'PostgreSQL 10 replica: neither permanent slots nor logical copies (no pg_replication_slot_advance)',
      input: input({ settings: slotSettings, cluster: published, local: replicaLocal({ serverVersion: 100023, replicationSlots: [] }) }),
      excludes: ['copy-logical-slots', 'sync-slots'],
    },
    {
      name: 'replica of a standby cluster: no logical slots',
      input: input({ settings: { ...slotSettings, standbyCluster: { host: '10.1.0.1', port: 5432 } }, cluster: published, local: replicaLocal({ replicationSlots: [] }) }),
      excludes: ['copy-logical-slots'],
    },
  ]);
});

function actionOf<T extends Action['type']>(input: DecideInput<HaMemory>, type: T): Extract<Action, { type: T }> | undefined {
  return decide(input).actions.find((action): action is Extract<Action, { type: T }> => action.type === type);
}

describe('logical slots: what is left out', () => {
  it('a primary without permanent slots writes no slots into /status (the key keeps what it had)', () => {
    const update = actionOf(leaderInput({ settings: { useSlots: true }, local: primaryLocal({ replicationSlots: leaderSlots }) }), 'update-lock');
    expect(update).toBeDefined();
    expect(update?.slots).toBeUndefined();
  });
  it('a logical slot whose name is a member slot is refused (as Patroni does)', () => {
    const sync = actionOf(leaderInput({ settings: { useSlots: true, permanentLogicalSlots: [{ ...cdc, name: 'node2' }, cdc] } }), 'sync-slots');
    expect(sync?.logical).toEqual([cdc]);
  });
  it('a nostream replica keeps the permanent physical slots only', () => {
    const sync = actionOf(input({ settings: slotSettings, tags: { nostream: true }, cluster: published, local: replicaLocal({ replicationSlots: [] }) }), 'sync-slots');
    expect(sync?.permanent).toEqual(['backup']);
    expect(sync?.logical).toBeUndefined();
    expect(actionOf(input({ settings: slotSettings, tags: { nostream: true }, cluster: published, local: replicaLocal({ replicationSlots: [] }) }), 'copy-logical-slots')).toBeUndefined();
  });
});

describe('member_slots_ttl on the leader (Patroni 4 retain_slots)', () => {
  const gone = cluster({ members: [member('node1'), member('node2')], retainSlots: ['node1', 'node2', 'node3'] });
  it('a leader that just took over starts from /status retain_slots and keeps the slot of the departed member', () => {
    const result = decide(leaderInput({ settings: { useSlots: true }, cluster: gone, memory: { ...leaderInput().memory, isLeader: false } }));
    const update = result.actions.find((action) => action.type === 'update-lock');
    expect(update?.type === 'update-lock' ? update.retainSlots : undefined).toEqual(['node1', 'node2', 'node3']);
    const sync = result.actions.find((action) => action.type === 'sync-slots');
    expect(sync?.type === 'sync-slots' ? sync.members : undefined).toEqual(['node2', 'node3']);
  });
  it('the departed member is forgotten once it has been gone for member_slots_ttl', () => {
    const base = leaderInput({ settings: { useSlots: true, memberSlotsTtlSeconds: 60 }, cluster: gone });
    const seen = { node1: base.nowMs, node2: base.nowMs, node3: base.nowMs - 61_000 };
    const result = decide({ ...base, memory: { ...base.memory, memberSlotsSeenAtMs: seen } });
    const update = result.actions.find((action) => action.type === 'update-lock');
    expect(update?.type === 'update-lock' ? update.retainSlots : undefined).toEqual(['node1', 'node2']);
    const sync = result.actions.find((action) => action.type === 'sync-slots');
    expect(sync?.type === 'sync-slots' ? sync.members : undefined).toEqual(['node2']);
    expect(result.memory.memberSlotsSeenAtMs).toEqual({ node1: base.nowMs, node2: base.nowMs });
  });
  it('member_slots_ttl 0: no retain_slots written, no departed slots kept', () => {
    const result = decide(leaderInput({ settings: { useSlots: true, memberSlotsTtlSeconds: 0 }, cluster: gone }));
    const update = result.actions.find((action) => action.type === 'update-lock');
    expect(update?.type === 'update-lock' ? update.retainSlots : 'missing').toBeUndefined();
  });
});
