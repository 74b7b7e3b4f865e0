/**
 * Builders for decide() inputs: a healthy three-member cluster by default,
 * each case overriding only what its situation is about.
 */
import type { Cluster, Member, MemberData } from '../../src/model/cluster.js';
import type { DecideInput, HaSettings } from '../../src/model/decide-types.js';
import type { LocalPostgres, PeerStatus, ReplicationConnection } from '../../src/model/local-state.js';
import { initialMemory, type HaMemory } from '../../src/ha/index.js';

export const NOW = 1_700_000_000_000;
export const SYSID = '7380236651356719834';

export function settings(overrides: Partial<HaSettings> = {}): HaSettings {
  return {
    ttlSeconds: 30,
    loopWaitSeconds: 10,
    retryTimeoutSeconds: 10,
    maximumLagOnFailoverBytes: 1048576,
    primaryStartTimeoutSeconds: 300,
    primaryStopTimeoutSeconds: 0,
    synchronousMode: false,
    synchronousModeStrict: false,
    synchronousNodeCount: 1,
    failsafeMode: false,
    checkTimeline: false,
    paused: false,
    usePgRewind: true,
    removeDataDirectoryOnRewindFailure: false,
    removeDataDirectoryOnDivergedTimelines: false,
    canBootstrap: true,
    replicaMethodWithoutLeader: false,
    watchdogMode: 'off',
    preferLastLeaderAfterDcsOutage: false,
    // The leader's slot upkeep is tested on its own (leader-upkeep.test.ts); elsewhere it would only lengthen every action list.
    useSlots: false,
    ...overrides,
  };
}

export function replicaLocal(overrides: Partial<LocalPostgres> = {}): LocalPostgres {
  return {
    dataDirectory: 'valid',
    running: true,
    accepting: true,
    inRecovery: true,
    hasRecoveryConfig: true,
    systemIdentifier: SYSID,
    timeline: 1,
    walPosition: 50_000_000,
    controlState: 'in archive recovery',
    rewindable: true,
    followingHost: '10.0.0.1:5432',
    replication: [],
    pendingRestart: {},
    ...overrides,
  };
}

export function primaryLocal(overrides: Partial<LocalPostgres> = {}): LocalPostgres {
  return replicaLocal({ inRecovery: false, hasRecoveryConfig: false, controlState: 'in production', followingHost: undefined, ...overrides });
}

export function emptyLocal(overrides: Partial<LocalPostgres> = {}): LocalPostgres {
  return { dataDirectory: 'empty', running: false, accepting: false, inRecovery: false, hasRecoveryConfig: false, replication: [], pendingRestart: {}, ...overrides };
}

export function member(name: string, data: Partial<MemberData> = {}): Member {
  const index = Number(name.replace(/\D/g, '')) || 9;
  return {
    name,
    version: 1,
    data: {
      conn_url: `postgres://10.0.0.${index}:5432/postgres`,
      api_url: `http://10.0.0.${index}:8008/patroni`,
      state: 'running',
      role: name === 'node1' ? 'primary' : 'replica',
      timeline: 1,
      xlog_location: 50_000_000,
      ...data,
    },
  };
}

export function cluster(overrides: Partial<Cluster> = {}): Cluster {
  return {
    initialize: SYSID,
    config: { version: 1, modifyVersion: 1, data: {} },
    leader: { name: 'node1', version: 10 },
    members: [member('node1'), member('node2'), member('node3')],
    history: { version: 1, lines: [] },
    lastLsn: 50_000_000,
    ...overrides,
  };
}

/** Nobody holds the leader key; the former primary node1's member key says it is stopped. */
export function unlockedCluster(overrides: Partial<Cluster> = {}): Cluster {
  const { leader: _leader, ...rest } = cluster({ members: [member('node1', { state: 'stopped' }), member('node2'), member('node3')], ...overrides });
  return { ...rest, ...overrides, leader: undefined };
}

export function peer(name: string, overrides: Partial<PeerStatus> = {}): PeerStatus {
  return { name, reachable: true, role: 'replica', state: 'running', walPosition: 50_000_000, isPrimary: false, timeline: 1, tags: {}, ...overrides };
}

/** An agent some cycles into its run that has seen a leader (one that has just started is unsure of the past: HaMemory.leaderlessSinceOutage). */
export function memory(overrides: Partial<HaMemory> = {}): HaMemory {
  const { leaderlessSinceOutage: _started, ...running } = initialMemory();
  return { ...running, cycles: 5, ...overrides };
}

export type InputOverrides = Partial<Omit<DecideInput<HaMemory>, 'cluster' | 'settings'>> & {
  readonly cluster?: Cluster | { readonly ok: false; readonly message: string };
  readonly settings?: Partial<HaSettings>;
  readonly name?: string;
  readonly tags?: Record<string, unknown>;
};

export function input(overrides: InputOverrides = {}): DecideInput<HaMemory> {
  const { cluster: clusterOverride, settings: settingsOverride, name, tags, ...rest } = overrides;
  const self = name ?? 'node2';
  const clusterValue = clusterOverride ?? cluster();
  return {
    nowMs: NOW,
    self: { name: self, apiUrl: `http://10.0.0.${self.replace(/\D/g, '') || 9}:8008/patroni`, connUrl: 'postgres://x', tags: tags ?? {} },
    settings: settings(settingsOverride),
    cluster: 'ok' in clusterValue ? clusterValue : { ok: true, value: clusterValue },
    local: replicaLocal(),
    requests: {},
    memory: memory(),
    ...rest,
  };
}

/** Input for the lock owner node1 running as primary. */
/** A row of pg_stat_replication: `name` streams from us (asynchronously). */
export function streamingStandby(name: string, state = 'streaming'): ReplicationConnection {
  return { applicationName: name, state, syncState: 'async', syncPriority: 0 };
}

export function leaderInput(overrides: InputOverrides = {}): DecideInput<HaMemory> {
  return input({ name: 'node1', local: primaryLocal({ replication: [streamingStandby('node2'), streamingStandby('node3')] }), lockRenewedAtMs: NOW - 10_000, memory: memory({ isLeader: true, lastSeenLeader: 'node1' }), ...overrides });
}

export const HELD = { kind: 'held', renewedAtMs: NOW } as const;
export const LOST = { kind: 'lost', owner: 'node2' } as const;
export const UNREACHABLE = { kind: 'unreachable', message: 'etcd timed out' } as const;
