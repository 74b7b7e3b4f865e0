/**
 * Test doubles for the runtime's ports: an in-memory DCS with one lock, a
 * scripted PostgreSQL, a recording logger. Only for unit tests of the cycle;
 * the end-to-end tests run the real adapters.
 */
import type {
  Cluster,
  Dcs,
  DcsResult,
  HaSettings,
  LocalPostgres,
  LockOutcome,
  MemberData,
  ReleaseOutcome,
  PatroniConfig,
} from '@pgwarden/core';
import { loadConfig } from '@pgwarden/core';
import type { AgentLogger } from '../src/logger.js';
import type { CallbackAction, CallbackPort, Clock, PeerPort, PostgresPort, WatchdogPort } from '../src/ports.js';

export const testSettings: HaSettings = {
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
};

export const runningPrimary: LocalPostgres = {
  dataDirectory: 'valid',
  running: true,
  accepting: true,
  inRecovery: false,
  hasRecoveryConfig: false,
  systemIdentifier: '7380236651356719834',
  timeline: 1,
  walPosition: 50_000_000,
  checkpointLsn: 49_000_000,
  replication: [],
  pendingRestart: {},
};

const okVoid: DcsResult<void> = { ok: true, value: undefined };

export class FakeDcs implements Dcs {
  readonly backend = 'fake';
  cluster: Cluster = { members: [], lastLsn: 0 };
  reachable = true;
  leaderOwner: string | undefined;
  readonly calls: string[] = [];
  readonly members = new Map<string, MemberData>();
  statusLsn: number | undefined;
  private watchers: Array<() => void> = [];

  constructor(private readonly name: string, private readonly now: () => number = () => 1000) {}

  async getCluster(): Promise<DcsResult<Cluster>> {
    if (!this.reachable) return { ok: false, reason: 'unreachable', message: 'fake DCS down' };
    const leader = this.leaderOwner !== undefined ? { name: this.leaderOwner, version: 1 } : undefined;
    const members = [...this.members.entries()].map(([name, data]) => ({ name, version: 1, data }));
    return { ok: true, value: { ...this.cluster, leader, members } };
  }
  async acquireLeader(): Promise<LockOutcome> {
    this.calls.push('acquireLeader');
    if (!this.reachable) return { kind: 'unreachable', message: 'down' };
    if (this.leaderOwner !== undefined && this.leaderOwner !== this.name) return { kind: 'lost', owner: this.leaderOwner };
    this.leaderOwner = this.name;
    return { kind: 'held', renewedAtMs: this.now() };
  }
  /** etcd's and Patroni's update: an absent leader key is created again. */
  updateRecreatesAbsentKey = false;
  async updateLeader(): Promise<LockOutcome> {
    this.calls.push('updateLeader');
    if (!this.reachable) return { kind: 'unreachable', message: 'down' };
    if (this.leaderOwner === undefined && this.updateRecreatesAbsentKey) this.leaderOwner = this.name;
    if (this.leaderOwner !== this.name) return { kind: 'lost', owner: this.leaderOwner };
    return { kind: 'held', renewedAtMs: this.now() };
  }
  async takeLeader(): Promise<LockOutcome> {
    this.leaderOwner = this.name;
    return { kind: 'held', renewedAtMs: this.now() };
  }
  async deleteLeader(input: { lastLsn?: number }): Promise<DcsResult<void>> {
    this.calls.push('deleteLeader');
    this.statusLsn = input.lastLsn;
    if (this.leaderOwner === this.name) this.leaderOwner = undefined;
    return okVoid;
  }
  /** Set by offerAtomicRelease(): the member key and the release in one write, as etcd's adapter does. */
  releaseLeader?: (input: { readonly lastLsn?: number; readonly member: MemberData; readonly handOverTo?: string }) => Promise<ReleaseOutcome>;
  offerAtomicRelease(): void {
    this.releaseLeader = async (input) => {
      this.calls.push(`releaseLeader:${String(input.member.state)}`);
      this.members.set(this.name, input.member);
      this.statusLsn = input.lastLsn;
      const ours = this.leaderOwner === this.name;
      if (ours) this.leaderOwner = input.handOverTo;
      return { member: okVoid, leader: ours ? okVoid : { ok: false, reason: 'conflict', message: 'not ours' }, ...(ours && input.handOverTo !== undefined ? { handedOver: true } : {}) };
    };
  }
  async initialize(): Promise<DcsResult<void>> {
    this.calls.push('initialize');
    return okVoid;
  }
  async cancelInitialization(): Promise<DcsResult<void>> {
    return okVoid;
  }
  async touchMember(data: MemberData): Promise<DcsResult<void>> {
    if (!this.reachable) return { ok: false, reason: 'unreachable', message: 'down' };
    this.calls.push(`touchMember:${String(data.state)}`);
    this.members.set(this.name, data);
    return okVoid;
  }
  async setConfig(): Promise<DcsResult<void>> {
    return okVoid;
  }
  async setFailover(): Promise<DcsResult<void>> {
    this.calls.push('setFailover');
    return okVoid;
  }
  async writeSyncState(leader: string | null, standbys: readonly string[]) {
    return { ok: true as const, value: { version: 2, leader: leader ?? undefined, syncStandbys: standbys } };
  }
  async deleteSyncState(): Promise<DcsResult<void>> {
    return okVoid;
  }
  async setHistory(): Promise<DcsResult<void>> {
    return okVoid;
  }
  async writeStatus(): Promise<DcsResult<void>> {
    return okVoid;
  }
  async writeFailsafe(): Promise<DcsResult<void>> {
    return okVoid;
  }
  async deleteCluster(): Promise<DcsResult<void>> {
    return okVoid;
  }
  watch(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const fire = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.watchers.push(fire);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  }
  /** Simulate a watch event (leader key changed). */
  fireWatch(): void {
    const watchers = this.watchers;
    this.watchers = [];
    for (const fire of watchers) fire();
  }
  configure(): void {}
  async close(): Promise<void> {
    this.calls.push('close');
  }
}

export class FakePostgres implements PostgresPort {
  local: LocalPostgres = runningPrimary;
  readonly calls: string[] = [];
  failOn = new Set<string>();
  /** Pending background completions, resolved by the test. */
  gate: Promise<void> | undefined;
  private exitListeners: Array<() => void> = [];

  private async record(name: string): Promise<void> {
    this.calls.push(name);
    if (this.gate !== undefined && (name === 'promote' || name === 'bootstrap')) await this.gate;
    if (this.failOn.has(name)) throw new Error(`${name} exploded`);
  }
  async observe() {
    return this.local;
  }
  bootstrap = () => this.record('bootstrap');
  createReplica: PostgresPort['createReplica'] = () => this.record('createReplica');
  start = () => this.record('start');
  /** The options of every stop(), in order. */
  readonly stops: Array<Parameters<PostgresPort['stop']>[0]> = [];
  /** Stops as PostgreSQL does: a fast or smart stop shuts down cleanly, an immediate one leaves pg_control "in production". */
  stop: PostgresPort['stop'] = async (options) => {
    this.stops.push(options);
    await this.record('stop');
    const controlState = options.mode === 'immediate' ? (this.local.inRecovery ? 'in archive recovery' : 'in production') : this.local.inRecovery ? 'shut down in recovery' : 'shut down';
    this.local = { ...this.local, running: false, accepting: false, controlState };
  };
  restart = () => this.record('restart');
  reload = () => this.record('reload');
  promote: PostgresPort['promote'] = () => this.record('promote');
  follow = () => this.record('follow');
  rewind = () => this.record('rewind');
  /** What timelineHistory() answers; undefined: it rejects, as for an unreachable leader. */
  history: { timeline: number; lines: Array<[number, number]> } | undefined;
  timelineHistory: PostgresPort['timelineHistory'] = async () => {
    this.calls.push('timelineHistory');
    if (this.history === undefined) throw new Error('connection refused');
    return this.history;
  };
  reinitialize: PostgresPort['reinitialize'] = () => this.record('reinitialize');
  crashRecovery = () => this.record('crashRecovery');
  checkpoint = () => this.record('checkpoint');
  setSynchronousStandbyNames = () => this.record('setSynchronousStandbyNames');
  removeDataDirectory = () => this.record('removeDataDirectory');
  onPostmasterExit(listener: () => void): () => void {
    this.exitListeners.push(listener);
    return () => {
      this.exitListeners = this.exitListeners.filter((candidate) => candidate !== listener);
    };
  }
  simulatePostmasterExit(): void {
    for (const listener of this.exitListeners) listener();
  }
  async close(): Promise<void> {}
}

export class RecordingCallbacks implements CallbackPort {
  readonly runs: Array<[CallbackAction, string]> = [];
  run(action: CallbackAction, role: string): void {
    this.runs.push([action, role]);
  }
  async close(): Promise<void> {}
}

export const usableWatchdog: WatchdogPort = {
  usable: true,
  activate: async () => undefined,
  keepalive: async () => undefined,
  disable: async () => undefined,
};

export const unreachablePeers: PeerPort = {
  fetchStatus: async () => undefined,
  postFailsafe: async () => false,
};

export interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

export function recordingLogger(lines: LogLine[] = []): AgentLogger & { lines: LogLine[] } {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, message, fields });
    };
  const logger = {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: () => logger,
  };
  return logger;
}

/**
 * A member config as the agent loads it, from YAML lines: `extra` goes after
 * the identity and REST API (a DCS section, `log`, `bootstrap`...); without a
 * DCS section in `extra` an etcd3 section is added.
 */
export function memberConfig(extra: readonly string[], dataDir = '/tmp/pgwarden-daemon-unit-test'): PatroniConfig {
  const hasDcs = extra.some((line) => /^(etcd3?|consul):/.test(line));
  const text = [
    'scope: demo',
    'namespace: /service/',
    'name: node1',
    'restapi: {listen: "127.0.0.1:8008", connect_address: "127.0.0.1:8008"}',
    ...(hasDcs ? [] : ['etcd3: {hosts: "127.0.0.1:2379"}']),
    ...extra,
    'postgresql:',
    '  listen: 127.0.0.1:5432',
    '  connect_address: 127.0.0.1:5432',
    `  data_dir: ${dataDir}`,
    '  authentication: {superuser: {username: postgres, password: x}, replication: {username: r, password: y}}',
  ].join('\n');
  const result = loadConfig([{ file: 'test.yml', text }], { env: {} });
  if (!result.ok) throw new Error(result.issues.map((issue) => issue.message).join('; '));
  return result.config;
}

/**
 * The runtime's clock under test control: time stands still until a test
 * advances it, and timers fire only from `advance()` — a unit test neither
 * sleeps nor races the real clock. Starts at 1000 ms (the fake DCS's renewals).
 */
export class TestClock implements Clock {
  private now = 1000;
  private readonly timers = new Set<{ dueMs: number; callback: () => void }>();

  nowMs(): number {
    return this.now;
  }

  wallMs(): number {
    return 1_700_000_000_000 + this.now;
  }

  setTimer(callback: () => void, delayMs: number): () => void {
    const timer = { dueMs: this.now + Math.max(0, delayMs), callback };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  /** Move time forward, firing every timer that comes due, in order. */
  advance(milliseconds: number): void {
    const target = this.now + milliseconds;
    for (;;) {
      const due = [...this.timers].filter((timer) => timer.dueMs <= target).sort((a, b) => a.dueMs - b.dueMs)[0];
      if (due === undefined) break;
      this.timers.delete(due);
      this.now = Math.max(this.now, due.dueMs);
      due.callback();
    }
    this.now = target;
  }

  /** Timers waiting (for assertions). */
  get pendingTimers(): number {
    return this.timers.size;
  }
}
