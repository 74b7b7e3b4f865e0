/**
 * The Dcs contract over ZooKeeper, with Patroni's znode layout and values
 * byte for byte (`/service/<scope>/leader`, `members/<name>`, …), so Patroni
 * and pgwarden members can share one cluster and patronictl reads it.
 *
 * Invariants: no method throws for an expected failure (typed outcomes);
 * every operation ends within retry_timeout; anything unrecognised is
 * `unreachable`, never a lost lock; the session — hence the leader and
 * member znodes — lives only while the agent keeps sending requests.
 */
import {
  toPatroniJson,
  type Cluster,
  type Dcs,
  type DcsResult,
  type DcsTimings,
  type FailoverValue,
  type HistoryLine,
  type LockOutcome,
  type MemberData,
  type StatusValue,
  type SyncState,
  type UpdateLeaderInput,
} from '@pgwarden/core';
import { ClusterReader } from './cluster-reader.js';
import { fail, ok, unreachable, type ZkContext } from './context.js';
import { createKey, deleteKey, putKey } from './key-writes.js';
import { acquireLeader, deleteLeaderKey, takeLeader, updateLeader } from './leader-lock.js';
import { silentLogger, type Logger } from './logger.js';
import { touchMember, type MemberMemory } from './member-key.js';
import { parseZooKeeperSettings, resolveConnectionString, type ZooKeeperDcsSettings } from './options.js';
import { clusterKeys, statusJson, syncJson, WakeSignal } from '@pgwarden/core';
import { timeoutTimer } from './timers.js';
import { ZkConnection } from './zk-connection.js';
import { Znodes } from './znodes.js';

export interface ZooKeeperDcsOptions extends ZooKeeperDcsSettings {
  /** Milliseconds since the epoch; `renewedAtMs` is read from it. Default Date.now. */
  readonly clock?: () => number;
  readonly logger?: Logger;
}

/** Requests sent to ZooKeeper since creation (or the last reset), by operation. */
export interface ZooKeeperRequestCounts {
  readonly total: number;
  readonly byOperation: Readonly<Record<string, number>>;
}

export class ZooKeeperDcs implements Dcs {
  readonly backend = 'zookeeper';
  readonly connectionString: string;
  private readonly context: ZkContext;
  private readonly connection: ZkConnection;
  private currentTimings: DcsTimings;
  private readonly wakeSignal = new WakeSignal(timeoutTimer);
  private readonly member: MemberMemory = {};
  private lastStatus: string | undefined;
  private lastFailsafe: string | undefined;
  private closed = false;

  constructor(options: ZooKeeperDcsOptions) {
    const settings = parseZooKeeperSettings(options);
    const logger = options.logger ?? silentLogger;
    this.connectionString = resolveConnectionString(settings.hosts);
    this.currentTimings = { ttlSeconds: settings.ttlSeconds, loopWaitSeconds: settings.loopWaitSeconds, retryTimeoutSeconds: settings.retryTimeoutSeconds };
    const timings = (): DcsTimings => this.currentTimings;
    const deadline = (): number => performance.now() + timings().retryTimeoutSeconds * 1000;
    let reader: ClusterReader | undefined;
    this.connection = new ZkConnection({
      connectionString: this.connectionString,
      // Patroni (kazoo timeout=ttl): the session timeout asked for is ttl.
      sessionTimeoutMs: settings.ttlSeconds * 1000,
      retryTimeoutMs: () => timings().retryTimeoutSeconds * 1000,
      clock: options.clock ?? Date.now,
      logger,
      onNewSession: () => {
        reader?.reset();
        this.wakeSignal.wake();
      },
    });
    const keys = clusterKeys(settings.namespace, settings.scope);
    const znodes = new Znodes(this.connection);
    reader = new ClusterReader({ keys, name: settings.name, znodes, logger, deadline, wake: () => this.wakeSignal.wake() });
    this.context = { name: settings.name, keys, logger, connection: this.connection, znodes, reader, lock: { released: false }, timings, deadline };
  }

  /** The cluster znode's path with a trailing slash, e.g. `/service/demo/`. */
  get prefix(): string {
    return this.context.keys.prefix;
  }

  /** Our session id (hex) while connected: the `ephemeralOwner` of our znodes. */
  get sessionId(): string | undefined {
    return this.connection.sessionId();
  }

  /** The session timeout the server granted (ms). */
  get sessionTimeoutMs(): number {
    return this.connection.negotiatedTimeoutMs();
  }

  /** Client port of the server we are connected to (tests). */
  get serverPort(): number | undefined {
    return this.connection.serverPort();
  }

  requestCounts(): ZooKeeperRequestCounts {
    return { total: this.connection.counts.total, byOperation: { ...this.connection.counts.byOperation } };
  }

  resetRequestCounts(): void {
    this.connection.counts.total = 0;
    for (const operation of Object.keys(this.connection.counts.byOperation)) delete this.connection.counts.byOperation[operation];
  }

  async getCluster(): Promise<DcsResult<Cluster>> {
    this.wakeSignal.clear();
    try {
      return ok(await this.context.reader.read());
    } catch (error) {
      return unreachable(this.context, 'read cluster', error);
    }
  }

  acquireLeader(): Promise<LockOutcome> {
    return acquireLeader(this.context);
  }

  async updateLeader(input: UpdateLeaderInput): Promise<LockOutcome> {
    const outcome = await updateLeader(this.context);
    if (outcome.kind !== 'held') {
      if (outcome.kind === 'lost') this.context.logger.warn({ owner: outcome.owner }, 'leader lock is no longer ours');
      return outcome;
    }
    const deadline = this.context.deadline();
    if (input.lastLsn !== undefined && input.lastLsn > 0) {
      const slots = { ...(input.slots && Object.keys(input.slots).length > 0 ? { slots: { ...input.slots } } : {}), ...(input.retainSlots !== undefined ? { retain_slots: [...input.retainSlots] } : {}) };
      await this.writeStatusWithin({ optime: input.lastLsn, ...slots }, deadline);
    }
    if (input.failsafe !== undefined) {
      await this.writeUnlessEqual('write failsafe', this.context.keys.failsafe, toPatroniJson(input.failsafe), 'failsafe', deadline);
    }
    return outcome;
  }

  takeLeader(): Promise<LockOutcome> {
    return takeLeader(this.context);
  }

  async deleteLeader(input: { readonly lastLsn?: number }): Promise<DcsResult<void>> {
    const deadline = this.context.deadline();
    if (input.lastLsn !== undefined && input.lastLsn > 0) await this.writeStatusWithin({ optime: input.lastLsn }, deadline);
    return deleteLeaderKey(this.context, deadline);
  }

  async initialize(input: { readonly createNew: boolean; readonly sysid?: string }): Promise<DcsResult<void>> {
    const { keys } = this.context;
    const value = input.sysid ?? '';
    if (input.createNew) return createKey(this.context, 'initialize cluster', keys.initialize, value);
    const result = await putKey(this.context, 'initialize cluster', keys.initialize, value);
    return result.ok ? ok() : result;
  }

  cancelInitialization(): Promise<DcsResult<void>> {
    return deleteKey(this.context, 'cancel initialization', this.context.keys.initialize);
  }

  touchMember(data: MemberData): Promise<DcsResult<void>> {
    return touchMember(this.context, this.member, toPatroniJson(data));
  }

  async setConfig(value: Readonly<Record<string, unknown>>, version?: number): Promise<DcsResult<void>> {
    const result = await putKey(this.context, 'set config', this.context.keys.config, toPatroniJson(value), { version });
    return result.ok ? ok() : result;
  }

  async setFailover(value: FailoverValue, version?: number): Promise<DcsResult<void>> {
    const result = await putKey(this.context, 'set failover', this.context.keys.failover, toPatroniJson(value), { version });
    return result.ok ? ok() : result;
  }

  async writeSyncState(leader: string | null, standbys: readonly string[], version?: number, quorum?: number): Promise<DcsResult<SyncState>> {
    const sorted = [...standbys].sort();
    const result = await putKey(this.context, 'write sync state', this.context.keys.sync, syncJson(leader, sorted, quorum), { version });
    if (!result.ok) return result;
    return ok({ version: result.value, ...(leader ? { leader } : {}), syncStandbys: sorted, ...(quorum !== undefined ? { quorum } : {}) });
  }

  deleteSyncState(version?: number): Promise<DcsResult<void>> {
    return deleteKey(this.context, 'delete sync state', this.context.keys.sync, version);
  }

  async setHistory(lines: readonly HistoryLine[]): Promise<DcsResult<void>> {
    const result = await putKey(this.context, 'set history', this.context.keys.history, toPatroniJson(lines));
    return result.ok ? ok() : result;
  }

  /** `slots`/`retain_slots` not given are carried over from the last known value (statusJson). */
  writeStatus(status: StatusValue): Promise<DcsResult<void>> {
    return this.writeStatusWithin(status, this.context.deadline());
  }

  private writeStatusWithin(status: StatusValue, deadline: number): Promise<DcsResult<void>> {
    const value = statusJson(status, this.lastStatus);
    return this.writeUnlessEqual('write status', this.context.keys.status, value, 'status', deadline);
  }

  writeFailsafe(value: Readonly<Record<string, string>>): Promise<DcsResult<void>> {
    return this.writeUnlessEqual('write failsafe', this.context.keys.failsafe, toPatroniJson(value), 'failsafe', this.context.deadline());
  }

  /** `/status` and `/failsafe` are skipped when equal to the last value written (as strings). */
  private async writeUnlessEqual(operation: string, path: string, value: string, which: 'status' | 'failsafe', deadline: number): Promise<DcsResult<void>> {
    if ((which === 'status' ? this.lastStatus : this.lastFailsafe) === value) return ok();
    const result = await putKey(this.context, operation, path, value, { deadline });
    if (!result.ok) return result;
    if (which === 'status') this.lastStatus = value;
    else this.lastFailsafe = value;
    return ok();
  }

  async deleteCluster(): Promise<DcsResult<void>> {
    try {
      const removed = await this.context.znodes.removeRecursive(this.context.keys.base, this.context.deadline());
      this.context.reader.reset();
      return removed.ok || removed.refusal === 'no-node' ? ok() : fail('conflict', `delete cluster: ${removed.refusal}`);
    } catch (error) {
      return unreachable(this.context, 'delete cluster', error);
    }
  }

  watch(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.wakeSignal.wait(timeoutMs, signal);
  }

  configure(timings: DcsTimings): void {
    const ttlChanged = timings.ttlSeconds !== this.currentTimings.ttlSeconds;
    this.currentTimings = { ...timings };
    // As Patroni: the session timeout can only change with a new session (its ephemeral znodes go with the old one).
    if (ttlChanged) this.connection.restart(timings.ttlSeconds * 1000);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeSignal.close();
    await this.connection.close();
  }
}

/** Build the adapter; throws PgwardenError `dcs-config-invalid` for bad settings. */
export function createZooKeeperDcs(options: ZooKeeperDcsOptions): ZooKeeperDcs {
  return new ZooKeeperDcs(options);
}
