/**
 * Quorum commit (`synchronous_mode: quorum`): the invariant, the plan's
 * order, the failover rule — as pure functions and through decide().
 */
import { describe, expect, it } from 'vitest';
import { guaranteeOfSetting, keyCovers, planQuorum, quorumSetting, quorumVotes, type Guarantee, type QuorumKey } from '../../src/ha/index.js';
import type { PeerStatus } from '../../src/index.js';
import { runCases } from './case-runner.js';
import { cluster, input, leaderInput, member, memory, peer, primaryLocal, replicaLocal, unlockedCluster } from './fixtures.js';

describe('what synchronous_standby_names enforces', () => {
  it.each([
    ['', { count: 0, names: [] }],
    ['*', { count: 1, names: [], anyStandby: true }],
    ['ANY 2 (a,b,c)', { count: 2, names: ['a', 'b', 'c'] }],
    ['any 1 ("Node-1", b)', { count: 1, names: ['Node-1', 'b'] }],
    ['FIRST 2 (a,b)', { count: 2, names: ['a', 'b'] }],
    ['2 (a,b,c)', { count: 2, names: ['a', 'b', 'c'] }],
    ['a, b', { count: 1, names: ['a', 'b'] }],
    ['ANY 3 (a,b)', { count: 2, names: ['a', 'b'] }],
    ['ANY 1 (*)', { count: 1, names: [], anyStandby: true }],
  ])('%j', (value, expected) => {
    expect(guaranteeOfSetting(value)).toEqual(expected);
  });

  it('renders ANY k over sorted, quoted names; * or nothing when nobody', () => {
    expect(quorumSetting(2, ['node3', 'node2', 'Node-4'], false)).toBe('ANY 2 ("Node-4",node2,node3)');
    expect(quorumSetting(5, ['a'], false)).toBe('ANY 1 (a)');
    expect(quorumSetting(1, [], true)).toBe('*');
    expect(quorumSetting(1, [], false)).toBe('');
  });
});

describe('the invariant: a key covers a guarantee', () => {
  const key = (quorum: number, voters: string[]): QuorumKey => ({ quorum, voters });
  const any = (count: number, names: string[]): Guarantee => ({ count, names });
  it.each<[string, QuorumKey, Guarantee, boolean]>([
    ["steady state: ANY 1 of 3, quorum 2 (Patroni's len(active) - numsync)", key(2, ['a', 'b', 'c']), any(1, ['a', 'b', 'c']), true],
    ['one vote short', key(1, ['a', 'b', 'c']), any(1, ['a', 'b', 'c']), false],
    ['ANY 2 of 3, quorum 1', key(1, ['a', 'b', 'c']), any(2, ['a', 'b', 'c']), true],
    ['a standby outside the voters may hold the only copy', key(1, ['a', 'b']), any(1, ['a', 'b', 'c']), false],
    ['...unless every voter must vote and there are more holders than outsiders', key(1, ['a', 'b']), any(2, ['a', 'b', 'c']), true],
    ['nobody named: nobody but the leader may be promoted, always safe', key(0, []), any(0, []), true],
    ['asynchronous commits are never covered by a key that lets anyone promote', key(0, ['a']), any(0, []), false],
    ['* (any standby) is never covered by a key that lets anyone promote', key(1, ['a', 'b']), { count: 1, names: [], anyStandby: true }, false],
    ['a quorum as large as the voters blocks promotion: covers anything', key(2, ['a', 'b']), any(0, []), true],
  ])('%s', (_name, k, guarantee, expected) => {
    expect(keyCovers(k, [guarantee])).toBe(expected);
  });

  it('a class of commits with two facts is covered when either is', () => {
    // Old commits: on 1 of {a,b,c}; also, a and b flushed past them.
    expect(keyCovers({ quorum: 0, voters: ['a', 'b'] }, [{ count: 1, names: ['a', 'b', 'c'] }])).toBe(false);
    expect(keyCovers({ quorum: 0, voters: ['a', 'b'] }, [{ count: 1, names: ['a', 'b', 'c'] }, { count: 2, names: ['a', 'b'] }])).toBe(true);
  });
});

/**
 * Drives planQuorum step by step as the runtime does (key first, then the
 * setting, one cycle each; earlier settings stay pending until `absorb()`)
 * and checks after every write that the key covers every setting ever in
 * force since the last absorption.
 */
function driver(start: { key: QuorumKey; setting: string }) {
  let key = start.key;
  let setting = start.setting;
  let pending: Guarantee[] = [];
  const writes: string[] = [];
  const check = (): void => {
    for (const guarantee of [guaranteeOfSetting(setting), ...pending]) expect(keyCovers(key, [guarantee]), `${JSON.stringify(key)} / ${setting}`).toBe(true);
  };
  return {
    cycle(active: string[], wanted: number): void {
      const plan = planQuorum({ key, setting, pending: pending.map((guarantee) => [guarantee]), active, wanted, strict: false });
      if (plan.key !== undefined) {
        key = plan.key;
        writes.push(`key ${key.quorum} of [${key.voters.join(',')}]`);
        check();
      }
      if (plan.setting !== undefined) {
        pending.push(guaranteeOfSetting(setting));
        setting = plan.setting;
        writes.push(`pg ${setting}`);
        check();
      }
    },
    absorb(): void {
      pending = [];
    },
    get state() {
      return { key, setting, writes };
    },
  };
}

describe('the plan: key first when it grows, setting only to what the key covers, shrink once absorbed', () => {
  it('a standby joins ANY 1 of 2: the key grows before PostgreSQL names it', () => {
    const run = driver({ key: { quorum: 1, voters: ['a', 'b'] }, setting: 'ANY 1 (a,b)' });
    run.cycle(['a', 'b', 'c'], 1);
    expect(run.state.writes).toEqual(['key 2 of [a,b,c]', 'pg ANY 1 (a,b,c)']);
  });

  it('a standby leaves: promotion is blocked until its commits are on the others, then the key shrinks', () => {
    const run = driver({ key: { quorum: 2, voters: ['a', 'b', 'c'] }, setting: 'ANY 1 (a,b,c)' });
    run.cycle(['a', 'b'], 1);
    // c may hold the only copy of a commit: nobody may be promoted until a or b has it.
    expect(run.state.writes).toEqual(['key 0 of []', 'pg ANY 1 (a,b)']);
    run.cycle(['a', 'b'], 1);
    expect(run.state.writes).toHaveLength(2);
    run.absorb();
    run.cycle(['a', 'b'], 1);
    expect(run.state.key).toEqual({ quorum: 1, voters: ['a', 'b'] });
  });

  it('synchronous_node_count grows from 1 to 2: PostgreSQL first, the quorum shrinks once absorbed', () => {
    const run = driver({ key: { quorum: 2, voters: ['a', 'b', 'c'] }, setting: 'ANY 1 (a,b,c)' });
    run.cycle(['a', 'b', 'c'], 2);
    expect(run.state.writes).toEqual(['pg ANY 2 (a,b,c)']);
    expect(run.state.key.quorum).toBe(2);
    run.absorb();
    run.cycle(['a', 'b', 'c'], 2);
    expect(run.state.key).toEqual({ quorum: 1, voters: ['a', 'b', 'c'] });
  });

  it('synchronous_node_count shrinks from 2 to 1: the quorum grows before PostgreSQL', () => {
    const run = driver({ key: { quorum: 1, voters: ['a', 'b', 'c'] }, setting: 'ANY 2 (a,b,c)' });
    run.cycle(['a', 'b', 'c'], 1);
    expect(run.state.writes).toEqual(['key 2 of [a,b,c]', 'pg ANY 1 (a,b,c)']);
  });

  it('the last standby goes: nobody but the leader, then asynchronous (not strict) or * (strict)', () => {
    const run = driver({ key: { quorum: 0, voters: ['a'] }, setting: 'ANY 1 (a)' });
    run.cycle([], 1);
    expect(run.state.writes).toEqual(['key 0 of []', 'pg ']);
    const strict = planQuorum({ key: { quorum: 0, voters: ['a'] }, setting: 'ANY 1 (a)', pending: [], active: [], wanted: 1, strict: true });
    expect(strict).toMatchObject({ key: { quorum: 0, voters: [] }, setting: '*' });
  });

  it('random churn: every write keeps the invariant', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const run = driver({ key: { quorum: 0, voters: [] }, setting: '' });
    for (let step = 0; step < 2000; step++) {
      const active = names.filter(() => random() < 0.6);
      run.cycle(active, 1 + Math.floor(random() * 3));
      if (random() < 0.3) run.absorb();
    }
    expect(run.state.writes.length).toBeGreaterThan(500);
  });
});

describe('the failover rule: votes among the voters', () => {
  const key = { quorum: 1, voters: ['a', 'b', 'c'] };
  it('a voter counts itself and needs quorum others at or behind it', () => {
    expect(quorumVotes('a', key, ['b'])).toBe(1);
    expect(quorumVotes('a', key, [])).toBe(0);
  });
  it('a non-voter needs one more; non-voters do not vote', () => {
    expect(quorumVotes('x', key, ['b'])).toBe(0);
    expect(quorumVotes('x', key, ['b', 'c', 'y'])).toBe(1);
  });
});

describe('decide: quorum commit mode', () => {
  const quorumSync = (quorum: number, voters: string[], leader = 'node1') => ({ version: 5, leader, syncStandbys: voters, quorum });
  const quorumSettings = { synchronousMode: 'quorum' as const, synchronousNodeCount: 1 };
  const streaming = (name: string, flushLsn = 50_000_000) => ({ applicationName: name, state: 'streaming', syncState: 'quorum', syncPriority: 1, flushLsn });
  const four = [member('node1', { state: 'stopped' }), member('node2'), member('node3'), member('node4')];
  const five = [member('node1', { role: 'replica' }), member('node2'), member('node3'), member('node4'), member('node5')];
  /** node3 of five, at 50 MB: node1 led and asked a switchover to node2, then lost its lock. */
  const staleSwitchover = (peers: PeerStatus[]) =>
    input({
      name: 'node3',
      cluster: unlockedCluster({ members: five, sync: quorumSync(3, ['node2', 'node3', 'node4', 'node5']), failover: { version: 2, leader: 'node1', candidate: 'node2' } }),
      settings: quorumSettings,
      local: replicaLocal({ walPosition: 50_000_000 }),
      peers,
    });
  /** node1 of five, at 50 MB, node2 (a voter) down: node3 led (`/sync` names it), optionally with a switchover request without candidate. */
  const formerSyncLeader = (node3: Partial<PeerStatus>, failover?: { version: number; leader: string }) =>
    input({
      name: 'node1',
      cluster: unlockedCluster({ members: five, sync: quorumSync(3, ['node1', 'node2', 'node4', 'node5'], 'node3'), ...(failover === undefined ? {} : { failover }) }),
      settings: quorumSettings,
      local: replicaLocal({ walPosition: 50_000_000 }),
      peers: [peer('node2', { reachable: false }), peer('node3', node3), peer('node4'), peer('node5')],
    });
  runCases([
    {
      name: 'failover: node2 sees one voter at or behind it (quorum 1): promotes',
      input: input({ cluster: unlockedCluster({ members: four, sync: quorumSync(1, ['node2', 'node3', 'node4']) }), settings: quorumSettings, peers: [peer('node1', { reachable: false }), peer('node3'), peer('node4', { reachable: false })] }),
      includes: [{ type: 'promote' }, { type: 'write-sync', leader: 'node2', standbys: [], quorum: 0 }],
    },
    {
      name: 'failover: node2 sees no voter (quorum 1): cannot prove it holds every commit, does not promote',
      input: input({ cluster: unlockedCluster({ members: four, sync: quorumSync(1, ['node2', 'node3', 'node4']) }), settings: quorumSettings, peers: [peer('node1', { reachable: false }), peer('node3', { reachable: false }), peer('node4', { reachable: false })] }),
      reason: /quorum requirement 1 can not be reached/,
      excludes: ['acquire-lock', 'promote'],
    },
    {
      name: 'failover: a voter ahead of us does not vote for us (it is the better candidate)',
      input: input({ cluster: unlockedCluster({ members: four, sync: quorumSync(2, ['node2', 'node3', 'node4']) }), settings: quorumSettings, peers: [peer('node1', { reachable: false }), peer('node3'), peer('node4', { reachable: false })] }),
      excludes: ['promote'],
    },
    {
      name: 'switchover to a quorum standby: the stopped former leader at our position is proof enough',
      input: input({
        cluster: unlockedCluster({ members: four, sync: quorumSync(2, ['node2', 'node3', 'node4']), failover: { version: 2, leader: 'node1', candidate: 'node2' } }),
        settings: quorumSettings,
        peers: [peer('node1'), peer('node3', { reachable: false }), peer('node4', { reachable: false })],
      }),
      includes: [{ type: 'promote' }],
    },
    {
      name: 'switchover whose former leader is gone: the candidate needs the votes',
      input: input({
        cluster: unlockedCluster({ members: four, sync: quorumSync(2, ['node2', 'node3', 'node4']), failover: { version: 2, leader: 'node1', candidate: 'node2' } }),
        settings: quorumSettings,
        peers: [peer('node1', { reachable: false }), peer('node3'), peer('node4', { reachable: false })],
      }),
      reason: /quorum requirement 2/,
      excludes: ['promote'],
    },
    {
      name: 'switchover whose former leader lost its lock, the candidate behind every voter: the others do not wait for it',
      input: staleSwitchover([peer('node1'), peer('node2', { walPosition: 49_000_000 }), peer('node4'), peer('node5')]),
      includes: [{ type: 'acquire-lock' }, { type: 'promote' }],
    },
    {
      name: 'the same switchover, the candidate at the voters\' position: the others let it take over',
      input: staleSwitchover([peer('node1', { walPosition: 51_000_000 }), peer('node2'), peer('node4'), peer('node5')]),
      reason: /the candidate node2 is healthy: letting it take over/,
      excludes: ['acquire-lock', 'promote'],
    },
    {
      name: 'failover, one voter down: the former /sync leader, back as a replica at our position, proves we hold every commit',
      input: formerSyncLeader({}),
      includes: [{ type: 'acquire-lock' }, { type: 'promote' }],
    },
    {
      name: 'the same, the former /sync leader ahead of us: the voters must prove it, and one is down',
      input: formerSyncLeader({ walPosition: 51_000_000 }),
      reason: /quorum requirement 3 can not be reached: 2 voters/,
      excludes: ['acquire-lock', 'promote'],
    },
    {
      name: 'a switchover request without a candidate whose leader lost its lock: the former leader at our position is proof too',
      input: formerSyncLeader({}, { version: 2, leader: 'node3' }),
      includes: [{ type: 'acquire-lock' }, { type: 'promote' }],
    },
    {
      name: 'leader, fresh start with two standbys streaming: writes ANY 1 and keeps the found key until confirmed',
      input: leaderInput({ settings: quorumSettings, cluster: cluster({ sync: quorumSync(0, []) }), local: primaryLocal({ walPosition: 50_000_000, synchronousStandbyNames: '', replication: [streaming('node2', 40_000_000), streaming('node3', 40_000_000)] }) }),
      includes: [{ type: 'set-synchronous-standby-names', value: 'ANY 1 (node2,node3)' }],
      excludes: ['write-sync'],
    },
    {
      name: 'leader: both standbys flushed past the change: the key names them, quorum 1',
      input: leaderInput({
        settings: quorumSettings,
        cluster: cluster({ sync: quorumSync(0, []) }),
        memory: memory({ isLeader: true, lastSeenLeader: 'node1', quorum: { setting: 'ANY 1 (node2,node3)', pending: [{ count: 0, names: [], untilLsn: 45_000_000 }] } }),
        local: primaryLocal({ walPosition: 50_000_000, synchronousStandbyNames: 'ANY 1 (node2,node3)', replication: [streaming('node2'), streaming('node3')] }),
      }),
      includes: [{ type: 'write-sync', leader: 'node1', standbys: ['node2', 'node3'], quorum: 1, version: 5 }],
      memory: { quorum: { setting: 'ANY 1 (node2,node3)', pending: [] } },
    },
    {
      name: 'leader: a voter stops streaming: promotion blocked first, then PostgreSQL stops waiting for it',
      input: leaderInput({
        settings: quorumSettings,
        cluster: cluster({ sync: quorumSync(1, ['node2', 'node3']) }),
        memory: memory({ isLeader: true, lastSeenLeader: 'node1', quorum: { setting: 'ANY 1 (node2,node3)', pending: [] } }),
        local: primaryLocal({ walPosition: 50_000_000, synchronousStandbyNames: 'ANY 1 (node2,node3)', replication: [streaming('node2')] }),
      }),
      actions: ['update-lock', 'write-sync', 'set-synchronous-standby-names'],
      includes: [{ type: 'write-sync', standbys: [], quorum: 0 }, { type: 'set-synchronous-standby-names', value: 'ANY 1 (node2)' }],
    },
  ]);
});
