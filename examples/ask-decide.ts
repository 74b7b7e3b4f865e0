/**
 * Ask pgwarden's decision machine what a member would do in a situation, and
 * print the rule that decided, its reason, Patroni's status line and the
 * actions. Pure: no servers, no clock, nothing written.
 *
 *   npx tsx ask-decide.ts --situation leader-gone
 *   npx tsx ask-decide.ts --list
 *
 * `decide()` is one HA cycle as a function: the cluster read from the DCS, the
 * local PostgreSQL, the settings and the memory of the last cycle go in; an
 * ordered list of actions comes out. When it needs the other members' status
 * (a leader race) it asks with `awaiting: 'peers'`; the caller answers and
 * calls it again in the same cycle, as this program does.
 */
import { parseArgs } from 'node:util';
import {
  decide,
  initialMemory,
  type Cluster,
  type DecideInput,
  type DecideResult,
  type HaMemory,
  type HaSettings,
  type LocalPostgres,
  type Member,
  type PeerStatus,
} from '@pgwarden/core';

const NOW_MS = 1_000_000_000;
const SYSTEM_ID = '7380236651356719834';
const LEADER_LSN = 50_000_000;

/** Patroni's defaults (ttl 30, loop_wait 10, retry_timeout 10, 1 MiB lag limit). */
const settings: HaSettings = {
  ttlSeconds: 30,
  loopWaitSeconds: 10,
  retryTimeoutSeconds: 10,
  maximumLagOnFailoverBytes: 1_048_576,
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
  useSlots: false,
};

function member(name: string, role: string, walPosition = LEADER_LSN): Member {
  const index = name.replace(/\D/g, '');
  return {
    name,
    version: 1,
    data: {
      conn_url: `postgres://10.0.0.${index}:5432/postgres`,
      api_url: `http://10.0.0.${index}:8008/patroni`,
      state: 'running',
      role,
      timeline: 1,
      xlog_location: walPosition,
    },
  };
}

function cluster(leader: string | undefined): Cluster {
  return {
    initialize: SYSTEM_ID,
    config: { version: 1, modifyVersion: 1, data: {} },
    ...(leader === undefined ? {} : { leader: { name: leader, version: 10 } }),
    members: [member('node1', leader === 'node1' ? 'primary' : 'replica'), member('node2', 'replica'), member('node3', 'replica')],
    lastLsn: LEADER_LSN,
  };
}

function replica(walPosition = LEADER_LSN): LocalPostgres {
  return {
    dataDirectory: 'valid',
    running: true,
    accepting: true,
    inRecovery: true,
    hasRecoveryConfig: true,
    systemIdentifier: SYSTEM_ID,
    timeline: 1,
    walPosition,
    followingHost: '10.0.0.1:5432',
    replication: [],
    pendingRestart: {},
  };
}

const primary: LocalPostgres = { ...replica(), inRecovery: false, hasRecoveryConfig: false, followingHost: undefined };

function input(name: string, overrides: Partial<DecideInput<HaMemory>>): DecideInput<HaMemory> {
  const index = name.replace(/\D/g, '');
  return {
    nowMs: NOW_MS,
    self: { name, apiUrl: `http://10.0.0.${index}:8008/patroni`, connUrl: `postgres://10.0.0.${index}:5432/postgres`, tags: {} },
    settings,
    cluster: { ok: true, value: cluster('node1') },
    local: replica(),
    requests: {},
    memory: { ...initialMemory(), cycles: 5, lastSeenLeader: 'node1' },
    ...overrides,
  };
}

const leaderMemory: HaMemory = { ...initialMemory(), cycles: 5, isLeader: true, lastSeenLeader: 'node1' };
/** The leader's last confirmed renewal, 10 s ago (the runtime passes it in every input). */
const LOCK_RENEWED_AT_MS = NOW_MS - 10_000;

interface Situation {
  readonly description: string;
  readonly input: DecideInput<HaMemory>;
  /** What the other members answer when decide() asks for their status. */
  readonly peers?: readonly PeerStatus[];
}

const peer = (name: string, walPosition: number): PeerStatus => ({ name, reachable: true, role: 'replica', state: 'running', walPosition, isPrimary: false, timeline: 1, tags: {} });

export const situations: Readonly<Record<string, Situation>> = {
  'healthy-replica': {
    description: 'node2 streams from node1, which holds the leader lock',
    input: input('node2', {}),
  },
  'leader-gone': {
    description: 'the leader key of node1 expired; node2 is as far ahead as anyone',
    input: input('node2', { cluster: { ok: true, value: cluster(undefined) } }),
    peers: [peer('node1', LEADER_LSN - 1000), peer('node3', LEADER_LSN - 2000)],
  },
  'lagging-replica': {
    description: 'the leader key expired; node3 lags 20 MiB behind, beyond maximum_lag_on_failover',
    input: input('node3', { cluster: { ok: true, value: cluster(undefined) }, local: replica(LEADER_LSN - 20 * 1_048_576) }),
    peers: [peer('node1', LEADER_LSN), peer('node2', LEADER_LSN)],
  },
  'primary-keeps-lock': {
    description: 'node1 runs the primary and holds the lock',
    input: input('node1', { local: primary, memory: leaderMemory, lockRenewedAtMs: LOCK_RENEWED_AT_MS }),
  },
  'primary-lost-lock': {
    description: 'node1 runs a primary but node2 now holds the leader key',
    input: input('node1', { local: primary, memory: leaderMemory, lockRenewedAtMs: LOCK_RENEWED_AT_MS, cluster: { ok: true, value: cluster('node2') } }),
  },
  'primary-dcs-unreachable': {
    description: 'node1 runs the primary and cannot reach the DCS; its lock was renewed 10 s ago',
    input: input('node1', { local: primary, memory: leaderMemory, lockRenewedAtMs: LOCK_RENEWED_AT_MS, cluster: { ok: false, message: 'etcd: connection refused' } }),
  },
};

/** One cycle, answering a question for the peers' status as the agent would. */
export function runCycle(situation: Situation): DecideResult<HaMemory>[] {
  const rounds = [decide(situation.input)];
  const first = rounds[0]!;
  if (first.awaiting === 'peers') rounds.push(decide({ ...situation.input, peers: situation.peers ?? [] }));
  return rounds;
}

function describeRound(result: DecideResult<HaMemory>): string[] {
  return [
    `rule:    ${result.ruleId}`,
    ...(result.reason === undefined ? [] : [`reason:  ${result.reason}`]),
    `message: ${result.message}`,
    `actions: ${result.actions.map((action) => action.type).join(', ') || '(none)'}`,
  ];
}

function parseOptions(): { situation: string; list: boolean } {
  try {
    return parseArgs({ options: { situation: { type: 'string', default: 'leader-gone' }, list: { type: 'boolean', default: false } } }).values;
  } catch (error) {
    // One readable line for a wrong argument, never a stack trace.
    process.stderr.write(`ask-decide: ${error instanceof Error ? error.message : String(error)} (usage: --situation NAME | --list)\n`);
    process.exit(2);
  }
}

const values = parseOptions();
if (values.list) {
  for (const [name, situation] of Object.entries(situations)) process.stdout.write(`${name}: ${situation.description}\n`);
} else {
  const situation = situations[values.situation];
  if (situation === undefined) {
    process.stderr.write(`unknown situation ${values.situation}; --list shows them\n`);
    process.exitCode = 2;
  } else {
    process.stdout.write(`situation: ${situation.description}\n`);
    for (const [index, result] of runCycle(situation).entries()) {
      if (index > 0) process.stdout.write(`-- answered with the peers' status, asked again:\n`);
      process.stdout.write(`${describeRound(result).join('\n')}\n`);
    }
  }
}
