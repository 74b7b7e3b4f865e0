/**
 * The Dcs contract over Redis with Patroni's key names and values (so the
 * cluster reads the same as on etcd), for single-server and replicated
 * deployments (see README: when Redis is safe for the lock).
 *
 * Invariants: no method throws for an expected failure (typed outcomes);
 * every operation ends within retry_timeout; anything unrecognised is
 * `unreachable`, never a lost lock; every comparison-then-write is one Lua
 * script; a cycle's getCluster() is one script call, so it always reflects
 * the server (no cache to go stale).
 */
import { randomBytes } from 'node:crypto';
import {
  parseClusterFromKeys,
  toPatroniJson,
  type Cluster,
  type Dcs,
  type DcsResult,
  type DcsTimings,
  type FailoverValue,
  type HistoryLine,
  type LockOutcome,
  type MemberData,
  type RawClusterKey,
  type StatusValue,
  type SyncState,
  type UpdateLeaderInput,
} from '@pgwarden/core';
import { RedisConnection, type RequestCounts } from './connection.js';
import { ok, unreachable, type DcsContext } from './context.js';
import { deleteKey, putKey } from './key-writes.js';
import { clusterKeys, RELATIVE } from './keys.js';
import { runLockScript } from './leader-lock.js';
import { silentLogger, type Logger } from './logger.js';
import { parseRedisSettings, toIoredisOptions, waitPolicy, type RedisDcsSettings } from './options.js';
import { statusJson, syncJson } from '@pgwarden/core';
import { ChangeWatcher } from './watcher.js';

export interface RedisDcsOptions extends RedisDcsSettings {
  /** Milliseconds; `renewedAtMs` is read from it (the agent passes a monotonic clock). Default Date.now. */
  readonly clock?: () => number;
  readonly logger?: Logger;
  /** Subscribe to change notices for watch() (default true). Off for one-shot tools (pgwardenctl). */
  readonly watch?: boolean;
}

/** Requests sent to Redis since creation (or the last reset), by operation. */
export interface RedisRequestCounts {
  readonly total: number;
  readonly byOperation: Readonly<Record<string, number>>;
}

const newSession = (): string => randomBytes(8).toString('hex');

export class RedisDcs implements Dcs {
  readonly backend = 'redis';
  /** `standalone` or `replicated`, as configured. */
  readonly mode: 'standalone' | 'replicated';
  private readonly context: DcsContext;
  private readonly connection: RedisConnection;
  private readonly watcher: ChangeWatcher;
  private readonly watching: boolean;
  private currentTimings: DcsTimings;
  private session = newSession();
  private lastStatus: string | undefined;
  private closed = false;

  constructor(options: RedisDcsOptions) {
    const settings = parseRedisSettings(options);
    const logger = options.logger ?? silentLogger;
    this.mode = settings.mode;
    this.currentTimings = { ttlSeconds: settings.ttlSeconds, loopWaitSeconds: settings.loopWaitSeconds, retryTimeoutSeconds: settings.retryTimeoutSeconds };
    const timings = (): DcsTimings => this.currentTimings;
    const redisOptions = toIoredisOptions(settings);
    this.connection = new RedisConnection({ redis: redisOptions, mode: settings.mode, wait: waitPolicy(settings), logger, topologyRecheckMs: () => timings().ttlSeconds * 10_000 });
    const keys = clusterKeys(settings.namespace, settings.scope);
    this.context = {
      name: settings.name,
      keys,
      clock: options.clock ?? Date.now,
      logger,
      connection: this.connection,
      timings,
      session: () => this.session,
      deadline: () => performance.now() + timings().retryTimeoutSeconds * 1000,
    };
    const probeTimeoutMs = (): number => Math.min(1000, timings().retryTimeoutSeconds * 1000);
    this.watcher = new ChangeWatcher(this.connection, keys, settings.name, redisOptions.db ?? 0, logger, probeTimeoutMs);
    this.watching = options.watch ?? true;
    if (this.watching) this.watcher.start();
  }

  /** The key prefix of this cluster, e.g. `/service/demo/`. */
  get prefix(): string {
    return this.context.keys.prefix;
  }

  requestCounts(): RedisRequestCounts {
    const counts: RequestCounts = this.connection.counts;
    return { total: counts.total, byOperation: { ...counts.byOperation } };
  }

  resetRequestCounts(): void {
    this.connection.counts.total = 0;
    for (const operation of Object.keys(this.connection.counts.byOperation)) delete this.connection.counts.byOperation[operation];
  }

  async getCluster(): Promise<DcsResult<Cluster>> {
    this.watcher.signal.clear();
    const { keys } = this.context;
    try {
      const [leaderPttl, flat] = await this.connection.run('read', this.context.deadline(), (client) => client.pgwRead(keys.index, keys.channel, keys.prefix));
      const raws: RawClusterKey[] = [];
      for (let index = 0; index + 3 < flat.length; index += 4) {
        const session = flat[index + 3] ?? '';
        raws.push({ key: flat[index] ?? '', value: flat[index + 1] ?? '', version: Number(flat[index + 2] ?? 0), ...(session !== '' ? { session } : {}) });
      }
      const cluster = parseClusterFromKeys(raws);
      this.lastStatus = raws.find((raw) => raw.key === RELATIVE.status)?.value;
      this.watcher.observe(cluster.leader?.name || undefined, Number(leaderPttl));
      return ok(cluster);
    } catch (error) {
      return unreachable(this.context, 'read cluster', error);
    }
  }

  acquireLeader(): Promise<LockOutcome> {
    return this.lock('acquire');
  }

  async updateLeader(input: UpdateLeaderInput): Promise<LockOutcome> {
    const slots = { ...(input.slots && Object.keys(input.slots).length > 0 ? { slots: { ...input.slots } } : {}), ...(input.retainSlots !== undefined ? { retain_slots: [...input.retainSlots] } : {}) };
    const status = input.lastLsn !== undefined && input.lastLsn > 0 ? statusJson({ optime: input.lastLsn, ...slots }, this.lastStatus) : undefined;
    const failsafe = input.failsafe !== undefined ? toPatroniJson(input.failsafe) : undefined;
    const outcome = await this.lock('update', { ...(status !== undefined ? { status } : {}), ...(failsafe !== undefined ? { failsafe } : {}) });
    if (outcome.kind === 'held' && status !== undefined) this.lastStatus = status;
    return outcome;
  }

  takeLeader(): Promise<LockOutcome> {
    return this.lock('take');
  }

  private async lock(operation: 'acquire' | 'update' | 'take', extras: { status?: string; failsafe?: string } = {}): Promise<LockOutcome> {
    const outcome = await runLockScript(this.context, operation, extras);
    if (outcome.kind === 'held') this.watcher.noteOwnLeader(this.context.name);
    return outcome;
  }

  async deleteLeader(input: { readonly lastLsn?: number }): Promise<DcsResult<void>> {
    const deadline = this.context.deadline();
    if (input.lastLsn !== undefined && input.lastLsn > 0) await this.writeStatusWithin({ optime: input.lastLsn }, deadline);
    return deleteKey(this.context, 'delete leader lock', RELATIVE.leader, 'owner', this.context.name, deadline);
  }

  async initialize(input: { readonly createNew: boolean; readonly sysid?: string }): Promise<DcsResult<void>> {
    const result = await putKey(this.context, 'initialize cluster', RELATIVE.initialize, input.sysid ?? '', { mode: input.createNew ? 'create' : 'set' });
    return result.ok ? ok() : result;
  }

  cancelInitialization(): Promise<DcsResult<void>> {
    return deleteKey(this.context, 'cancel initialization', RELATIVE.initialize);
  }

  /** Every touch extends the member key's expiry; the key is rewritten (new version) only when its data or session changed. */
  async touchMember(data: MemberData): Promise<DcsResult<void>> {
    const ttlMs = Math.round(this.currentTimings.ttlSeconds * 1000);
    const result = await putKey(this.context, 'touch member', RELATIVE.member(this.context.name), toPatroniJson(data), { mode: 'touch', ttlMs, session: this.session });
    return result.ok ? ok() : result;
  }

  async setConfig(value: Readonly<Record<string, unknown>>, version?: number): Promise<DcsResult<void>> {
    const result = await putKey(this.context, 'set config', RELATIVE.config, toPatroniJson(value), version !== undefined ? { version } : {});
    return result.ok ? ok() : result;
  }

  async setFailover(value: FailoverValue, version?: number): Promise<DcsResult<void>> {
    const result = await putKey(this.context, 'set failover', RELATIVE.failover, toPatroniJson(value), version !== undefined ? { version } : {});
    return result.ok ? ok() : result;
  }

  async writeSyncState(leader: string | null, standbys: readonly string[], version?: number, quorum?: number): Promise<DcsResult<SyncState>> {
    const sorted = [...standbys].sort();
    const result = await putKey(this.context, 'write sync state', RELATIVE.sync, syncJson(leader, sorted, quorum), version !== undefined ? { version } : {});
    if (!result.ok) return result;
    return ok({ version: result.value, ...(leader ? { leader } : {}), syncStandbys: sorted, ...(quorum !== undefined ? { quorum } : {}) });
  }

  deleteSyncState(version?: number): Promise<DcsResult<void>> {
    return deleteKey(this.context, 'delete sync state', RELATIVE.sync, version !== undefined ? 'cas' : 'any', version !== undefined ? String(version) : '');
  }

  async setHistory(lines: readonly HistoryLine[]): Promise<DcsResult<void>> {
    const result = await putKey(this.context, 'set history', RELATIVE.history, toPatroniJson(lines));
    return result.ok ? ok() : result;
  }

  /** `slots`/`retain_slots` not given are carried over from the last known value; an unchanged value is not rewritten. */
  writeStatus(status: StatusValue): Promise<DcsResult<void>> {
    return this.writeStatusWithin(status, this.context.deadline());
  }

  private async writeStatusWithin(status: StatusValue, deadline: number): Promise<DcsResult<void>> {
    const value = statusJson(status, this.lastStatus);
    const result = await putKey(this.context, 'write status', RELATIVE.status, value, { mode: 'unless-equal', deadline });
    if (!result.ok) return result;
    this.lastStatus = value;
    return ok();
  }

  async writeFailsafe(value: Readonly<Record<string, string>>): Promise<DcsResult<void>> {
    const result = await putKey(this.context, 'write failsafe', RELATIVE.failsafe, toPatroniJson(value), { mode: 'unless-equal' });
    return result.ok ? ok() : result;
  }

  async deleteCluster(): Promise<DcsResult<void>> {
    const { keys } = this.context;
    try {
      await this.connection.run('delete cluster', this.context.deadline(), (client) => client.pgwDeleteAll(keys.index, keys.revision, keys.channel, keys.prefix));
      return ok();
    } catch (error) {
      return unreachable(this.context, 'delete cluster', error);
    }
  }

  watch(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.watcher.wait(timeoutMs, signal);
  }

  configure(timings: DcsTimings): void {
    const ttlChanged = timings.ttlSeconds !== this.currentTimings.ttlSeconds;
    this.currentTimings = { ...timings };
    if (ttlChanged) {
      // As etcd's new lease: the next lock and member writes carry the new ttl under a new session.
      this.session = newSession();
      this.watcher.signal.wake();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.watcher.close();
    this.connection.close();
  }
}

/** Build the adapter; throws PgwardenError `dcs-config-invalid` for bad settings (including a replicated mode without wait_replicas). */
export function createRedisDcs(options: RedisDcsOptions): RedisDcs {
  return new RedisDcs(options);
}
