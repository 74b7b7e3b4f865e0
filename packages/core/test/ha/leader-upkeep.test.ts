import { describe } from 'vitest';
import { runCases } from './case-runner.js';
import { cluster, input, leaderInput, member, memory, primaryLocal, replicaLocal } from './fixtures.js';

const withSlots = { useSlots: true, permanentSlots: ['backup'] };
const dynamicConfig = { ttl: 30, loop_wait: 10, postgresql: { parameters: { max_connections: 100 } } };

describe('decide: the leader keeps /config and its replication slots (§4 step 13, §5.2)', () => {
  runCases([
    {
      name: 'healthy leader: after the renewal, one slot per streaming member and each permanent slot; unknown ones dropped',
      input: leaderInput({ settings: withSlots }),
      ruleId: 'leader.keep-lock.primary',
      actions: ['update-lock', 'sync-slots'],
      includes: [{ type: 'sync-slots', members: ['node2', 'node3'], permanent: ['backup'], dropUnknown: true }],
    },
    {
      name: 'members tagged nostream, or cascading from another member that exists, get no slot on the leader',
      input: leaderInput({
        settings: withSlots,
        cluster: cluster({ members: [member('node1'), member('node2', { tags: { nostream: true } }), member('node3', { tags: { replicatefrom: 'node2' } }), member('node4', { tags: { replicatefrom: 'gone' } })] }),
      }),
      includes: [{ type: 'sync-slots', members: ['node4'] }],
    },
    {
      name: 'ignore_slots: the matchers travel with sync-slots so the adapter keeps matching slots',
      input: leaderInput({ settings: { ...withSlots, ignoreSlots: [{ name: 'debezium', type: 'logical' }, { type: 'physical', name: 'barman' }] } }),
      includes: [{ type: 'sync-slots', dropUnknown: true, ignore: [{ name: 'debezium', type: 'logical' }, { type: 'physical', name: 'barman' }] }],
    },
    {
      name: 'paused leader: slots of unknown members are kept',
      input: leaderInput({ settings: { ...withSlots, paused: true } }),
      includes: [{ type: 'sync-slots', dropUnknown: false }],
    },
    {
      name: 'use_slots: false: no slot management at all',
      input: leaderInput({ settings: { useSlots: false } }),
      excludes: ['sync-slots'],
    },
    {
      name: 'leader of a cluster without /config: writes it, create-only, from the dynamic configuration it holds',
      input: leaderInput({ dynamicConfig, cluster: cluster({ config: undefined }) }),
      includes: [{ type: 'write-config', value: dynamicConfig, version: 0 }],
    },
    {
      name: 'leader of a cluster whose /config has content: never overwrites it',
      input: leaderInput({ dynamicConfig, cluster: cluster({ config: { version: 7, modifyVersion: 7, data: { ttl: 40 } } }) }),
      excludes: ['write-config'],
    },
    {
      name: 'leader with an empty /config (wiped): rewrites it on that version',
      input: leaderInput({ dynamicConfig, cluster: cluster({ config: { version: 7, modifyVersion: 7, data: {} } }) }),
      includes: [{ type: 'write-config', version: 7 }],
    },
    {
      name: 'leader that lost its lock in the DCS snapshot: no upkeep (it demotes)',
      input: input({ name: 'node1', settings: withSlots, dynamicConfig, local: primaryLocal(), memory: memory({ isLeader: true }), cluster: cluster({ leader: { name: 'node2', version: 1 } }) }),
      excludes: ['sync-slots', 'write-config'],
    },
    {
      name: 'leader still in recovery (promotion pending): no slots yet',
      input: leaderInput({ settings: withSlots, local: replicaLocal() }),
      excludes: ['sync-slots'],
    },
  ]);
});
