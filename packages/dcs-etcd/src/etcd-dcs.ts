/**
 * The Dcs contract over etcd v3 (spec/dcs.md §3), Patroni's keys and values
 * byte for byte, so pgwarden and Patroni members can share one cluster.
 *
 * Invariants: no method throws for an expected failure (typed outcomes);
 * every operation ends within retry_timeout; anything unrecognised is
 * `unreachable`, never a lost lock; a cycle's getCluster() is answered from
 * the watch cache (no request) whenever the watch is healthy.
 */
import type {
  Cluster,
  Dcs,
  DcsResult,
  DcsTimings,
  FailoverValue,
  HistoryLine,
  LockOutcome,
  MemberData,
  ReleaseOutcome,
  StatusValue,
  SyncState,
  UpdateLeaderInput,
} from '@pgwarden/core';
import { ok, unreachable, type DcsContext } from './context.js';
import { createKey, deleteKey, putKey } from './key-writes.js';
import { discoverEndpoints } from './discovery.js';
import { clusterKeys, prefixRangeEnd, type ClusterKeys } from './keys.js';
import { acquireLeader, deleteLeaderKey, deleteRefused, takeLeader, updateLeader } from './leader-lock.js';
import { LeaseKeeper } from './lease.js';
import { silentLogger, type Logger } from './logger.js';
import { parseEtcdSettings, resolveEndpoints, type EtcdDcsSettings } from './options.js';
import { parseCluster } from './parse-cluster.js';
import { statusJson, syncJson, toPatroniJson, WakeSignal } from '@pgwarden/core';
import { timeoutTimer } from './timers.js';
import { EtcdTransport } from './transport.js';
import { deleteOp, modifiedAt, nestedTxn, putOp, rangedValue, rangeOp, rangeRequest, revisionOf, valueIs, type TxnRequest } from './requests.js';
import { describeError } from './errors.js';
import { WatchCache } from './watch-cache.js';

export interface EtcdDcsOptions extends EtcdDcsSettings {
  /** Milliseconds since the epoch; `renewedAtMs` is read from it. Default Date.now. */
  readonly clock?: () => number;
  readonly logger?: Logger;
  /**
   * Keep the watch-fed cache (default true, as the daemon does). Off for
   * one-shot tools (pgwardenctl): every getCluster() is then one fresh
   * linearizable range read and no watch stream is opened.
   */
  readonly watchCache?: boolean;
}

/** Requests sent to etcd since creation (or the last reset), by operation. */
export interface EtcdRequestCounts {
  readonly total: number;
  readonly byOperation: Readonly<Record<string, number>>;
}

export class EtcdDcs implements Dcs {
  readonly backend = 'etcd3';
  readonly endpoints: readonly string[];
  private readonly context: DcsContext;
  private readonly transport: EtcdTransport;
  private readonly cache: WatchCache;
  /** The last Cluster parsed from the cache, with the cache generation it was parsed at. */
  private parsed: { readonly generation: number; readonly cluster: Cluster } | undefined;
  private currentTimings: DcsTimings;
  private readonly wakeSignal = new WakeSignal(timeoutTimer);
  private lastStatus: string | undefined;
  private lastFailsafe: string | undefined;
  private closed = false;
  private readonly useCache: boolean;
  private discoveryTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: EtcdDcsOptions) {
    const settings = parseEtcdSettings(options);
    const logger = options.logger ?? silentLogger;
    const clock = options.clock ?? Date.now;
    this.endpoints = resolveEndpoints(settings);
    this.currentTimings = {
      ttlSeconds: settings.ttlSeconds,
      loopWaitSeconds: settings.loopWaitSeconds,
      retryTimeoutSeconds: settings.retryTimeoutSeconds,
    };
    const keys = clusterKeys(settings.namespace, settings.scope);
    this.transport = new EtcdTransport({
      endpoints: this.endpoints,
      logger,
      tls: { ...(settings.cacert ? { cacert: settings.cacert } : {}), ...(settings.cert ? { cert: settings.cert } : {}), ...(settings.key ? { key: settings.key } : {}) },
      ...(settings.username !== undefined ? { auth: { username: settings.username, password: settings.password ?? '' } } : {}),
    });
    const timings = (): DcsTimings => this.currentTimings;
    const lease = new LeaseKeeper(this.transport, clock, timings);
    this.cache = new WatchCache(this.transport, keys, logger, () => timings().retryTimeoutSeconds * 1000, (key, before, after) =>
      this.onChange(keys, key, before, after),
    );
    this.context = {
      name: settings.name,
      keys,
      clock,
      logger,
      transport: this.transport,
      lease,
      cache: this.cache,
      timings,
      deadline: () => performance.now() + timings().retryTimeoutSeconds * 1000,
    };
    this.useCache = options.watchCache ?? true;
    if (this.useCache) this.cache.start();
    if (settings.proxy === undefined && settings.use_proxies !== true) this.startDiscovery();
  }

  /** The endpoints in use: the configured ones, then those discovered from etcd's member list. */
  get knownEndpoints(): readonly string[] {
    return this.transport.urls;
  }

  private startDiscovery(): void {
    const discover = (): Promise<void> => discoverEndpoints(this.transport, this.context.deadline(), this.context.logger);
    void discover();
    this.discoveryTimer = setInterval(() => void discover(), this.currentTimings.ttlSeconds * 10_000);
    this.discoveryTimer.unref();
  }

  /** The key prefix of this cluster, e.g. `/service/demo/`. */
  get prefix(): string {
    return this.context.keys.prefix;
  }

  requestCounts(): EtcdRequestCounts {
    return { total: this.transport.counts.total, byOperation: { ...this.transport.counts.byOperation } };
  }

  resetRequestCounts(): void {
    this.transport.counts.total = 0;
    for (const operation of Object.keys(this.transport.counts.byOperation)) delete this.transport.counts.byOperation[operation];
  }

  /** Wake rules of spec/dcs.md §3.5: leader changed; config changed; status changed while we are not the leader. */
  private onChange(keys: ClusterKeys, key: string, before: string | undefined, after: string | undefined): void {
    // Only we write our own name into the leader key: that change is not news (the event may beat the txn answer).
    const wake =
      (key === keys.leader && after !== this.context.name) ||
      (key === keys.config && before !== undefined) ||
      ((key === keys.status || key === keys.optimeLeader) && this.cache.get(keys.leader)?.value !== this.context.name);
    if (wake) this.wake();
  }

  private wake(): void {
    this.wakeSignal.wake();
  }

  async getCluster(): Promise<DcsResult<Cluster>> {
    this.wakeSignal.clear();
    const { keys } = this.context;
    // Right after start the first range read of the cache is in flight: waiting briefly for it saves a
    // second one. Later (watch broken by an outage) read directly at once.
    if (this.useCache && (this.cache.ready || (!this.cache.loadedOnce && (await this.cache.waitReady(300))))) {
      // An idle cluster's cycles find the same keys every time: parse them once (the Cluster is read-only).
      const generation = this.cache.generation;
      if (this.parsed?.generation !== generation) this.parsed = { generation, cluster: parseCluster(keys, this.cache.snapshot()) };
      return ok(this.parsed.cluster);
    }
    try {
      const response = await this.transport.run('range', this.context.deadline(), (client, attempt) =>
        client.range(rangeRequest(keys.prefix, prefixRangeEnd(keys.prefix)), attempt),
      );
      return ok(parseCluster(keys, response.kvs));
    } catch (error) {
      return unreachable(this.context, 'read cluster', error);
    }
  }

  acquireLeader(): Promise<LockOutcome> {
    return acquireLeader(this.context);
  }

  updateLeader(input: UpdateLeaderInput): Promise<LockOutcome> {
    return updateLeader(this.context, input, async (written, deadline) => {
      if (written.lastLsn !== undefined && written.lastLsn > 0) {
        const slots = { ...(written.slots && Object.keys(written.slots).length > 0 ? { slots: { ...written.slots } } : {}), ...(written.retainSlots !== undefined ? { retain_slots: [...written.retainSlots] } : {}) };
        await this.writeStatusWithin({ optime: written.lastLsn, ...slots }, deadline);
      }
      if (written.failsafe !== undefined) {
        await this.writeUnlessEqual('write failsafe', this.context.keys.failsafe, toPatroniJson(written.failsafe), 'failsafe', deadline);
      }
    });
  }

  takeLeader(): Promise<LockOutcome> {
    return takeLeader(this.context);
  }

  async deleteLeader(input: { readonly lastLsn?: number }): Promise<DcsResult<void>> {
    const deadline = this.context.deadline();
    if (input.lastLsn !== undefined && input.lastLsn > 0) await this.writeStatusWithin({ optime: input.lastLsn }, deadline);
    return deleteLeaderKey(this.context, deadline);
  }

  /**
   * One txn: if the leader key is ours, put `/status` (when its optime
   * changes) and our member key and delete the leader key; if not, put the
   * two only (as the sequential path would). Watchers get one event. When
   * etcd refuses the txn itself (our lease is gone), the sequential path:
   * touchMember() (which takes a new lease), then deleteLeader().
   *
   * `handOverTo`: the success branch puts the leader key with that member's
   * name on the lease its member key is on in the watch cache, guarded also
   * by that member key's mod_revision (a rewrite on a new lease, or its
   * expiry, changes it); when only that guard fails, the nested plain
   * release runs in the same request. A lease that keeps the member key
   * keeps the leader key: the candidate renews both with its keepalive.
   */
  async releaseLeader(input: { readonly lastLsn?: number; readonly member: MemberData; readonly handOverTo?: string }): Promise<ReleaseOutcome> {
    const { keys, name, lease } = this.context;
    const deadline = this.context.deadline();
    try {
      const state = await lease.refresh(false, deadline);
      const memberValue = toPatroniJson(input.member);
      const writes: { key: string; value: string; lease?: string }[] = [{ key: keys.member(name), value: memberValue, lease: state.id }];
      let statusValue: string | undefined;
      if (input.lastLsn !== undefined && input.lastLsn > 0) {
        const known = this.knownValue(keys.status, this.lastStatus);
        const value = statusJson({ optime: input.lastLsn }, known);
        if (value !== known) {
          statusValue = value;
          writes.unshift({ key: keys.status, value });
        }
      }
      const puts = writes.map((write) => putOp(write.key, write.value, write.lease));
      const release: TxnRequest = { compare: [valueIs(keys.leader, name)], success: [...puts, deleteOp(keys.leader)], failure: [...puts, rangeOp(keys.leader)] };
      const heir = this.heirLease(input.handOverTo);
      const request: TxnRequest =
        heir === undefined
          ? release
          : { compare: [valueIs(keys.leader, name), modifiedAt(keys.member(heir.name), heir.modRevision)], success: [...puts, putOp(keys.leader, heir.name, heir.lease)], failure: [{ request_txn: release }] };
      const response = await this.context.transport.run('txn', deadline, (client, attempt) => client.txn(request, attempt));
      const revision = revisionOf(response);
      for (const write of writes) this.context.cache.applyWrite(write.key, write.value, revision, write.lease ?? '0');
      if (statusValue !== undefined) this.lastStatus = statusValue;
      if (heir !== undefined && response.succeeded) {
        this.context.cache.applyWrite(keys.leader, heir.name, revision, heir.lease);
        return { member: ok(), leader: ok(), handedOver: true };
      }
      const answer = heir === undefined ? response : nestedTxn(response.responses[0]);
      if (answer?.succeeded === true) {
        this.context.cache.applyWrite(keys.leader, undefined, revision);
        return { member: ok(), leader: ok() };
      }
      return { member: ok(), leader: deleteRefused(rangedValue(answer?.responses[writes.length])) };
    } catch (error) {
      if (!/lease not found/.test(describeError(error))) {
        const failed = unreachable(this.context, 'release leader lock', error);
        return { member: failed, leader: failed };
      }
    }
    const member = await this.touchMember(input.member);
    return { member, leader: await this.deleteLeader(input.lastLsn === undefined ? {} : { lastLsn: input.lastLsn }) };
  }

  /** The lease and revision of `name`'s member key in the watch cache, if it is on a lease. */
  private heirLease(name: string | undefined): { readonly name: string; readonly lease: string; readonly modRevision: number } | undefined {
    if (name === undefined || name === this.context.name || !this.cache.ready) return undefined;
    const key = this.cache.get(this.context.keys.member(name));
    if (key === undefined || key.lease === '0' || key.lease === '') return undefined;
    return { name, lease: key.lease, modRevision: key.modRevision };
  }

  async initialize(input: { readonly createNew: boolean; readonly sysid?: string }): Promise<DcsResult<void>> {
    const { keys } = this.context;
    const value = input.sysid ?? '';
    const result = input.createNew
      ? await createKey(this.context, 'initialize cluster', keys.initialize, value)
      : await putKey(this.context, 'initialize cluster', keys.initialize, value);
    return result.ok ? ok() : result;
  }

  cancelInitialization(): Promise<DcsResult<void>> {
    return deleteKey(this.context, 'cancel initialization', this.context.keys.initialize);
  }

  async touchMember(data: MemberData): Promise<DcsResult<void>> {
    const { keys, name, lease } = this.context;
    const key = keys.member(name);
    const value = toPatroniJson(data);
    try {
      const deadline = this.context.deadline();
      let state = await lease.refresh(false, deadline);
      const cached = this.cache.ready ? this.cache.get(key) : undefined;
      if (cached !== undefined && cached.value === value && cached.lease === state.id) return ok();
      let result = await putKey(this.context, 'touch member', key, value, { lease: state.id, deadline });
      if (!result.ok && /lease not found/.test(result.message)) {
        lease.forget();
        state = await lease.refresh(true, deadline);
        result = await putKey(this.context, 'touch member', key, value, { lease: state.id, deadline });
      }
      return result.ok ? ok() : result;
    } catch (error) {
      return unreachable(this.context, 'touch member', error);
    }
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
    const value = syncJson(leader, sorted, quorum);
    const result = await putKey(this.context, 'write sync state', this.context.keys.sync, value, { version });
    if (!result.ok) return result;
    return ok({ version: result.value, ...(leader ? { leader } : {}), syncStandbys: sorted, ...(quorum !== undefined ? { quorum } : {}) });
  }

  deleteSyncState(version?: number): Promise<DcsResult<void>> {
    return deleteKey(this.context, 'delete sync state', this.context.keys.sync, version !== undefined ? { version } : {});
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
    const value = statusJson(status, this.knownValue(this.context.keys.status, this.lastStatus));
    return this.writeUnlessEqual('write status', this.context.keys.status, value, 'status', deadline);
  }


  writeFailsafe(value: Readonly<Record<string, string>>): Promise<DcsResult<void>> {
    return this.writeUnlessEqual('write failsafe', this.context.keys.failsafe, toPatroniJson(value), 'failsafe', this.context.deadline());
  }

  /** `/status` and `/failsafe` are skipped when equal to the last value written or read (as strings). */
  private async writeUnlessEqual(
    operation: string,
    key: string,
    value: string,
    which: 'status' | 'failsafe',
    deadline: number,
  ): Promise<DcsResult<void>> {
    const known = this.knownValue(key, which === 'status' ? this.lastStatus : this.lastFailsafe);
    if (known === value) return ok();
    const result = await putKey(this.context, operation, key, value, { deadline });
    if (!result.ok) return result;
    if (which === 'status') this.lastStatus = value;
    else this.lastFailsafe = value;
    return ok();
  }

  private knownValue(key: string, lastWritten: string | undefined): string | undefined {
    return this.cache.ready ? this.cache.get(key)?.value : lastWritten;
  }

  deleteCluster(): Promise<DcsResult<void>> {
    const { prefix } = this.context.keys;
    return deleteKey(this.context, 'delete cluster', prefix, { rangeEnd: prefixRangeEnd(prefix) });
  }

  watch(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.wakeSignal.wait(timeoutMs, signal);
  }

  configure(timings: DcsTimings): void {
    const ttlChanged = timings.ttlSeconds !== this.currentTimings.ttlSeconds;
    this.currentTimings = { ...timings };
    if (ttlChanged) {
      // A new ttl needs a new lease; the next wait returns at once so the cycle re-registers on it.
      this.context.lease.forget();
      this.wake();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.discoveryTimer);
    this.wakeSignal.close();
    await this.cache.stop();
    this.transport.close();
  }
}

/** Build the adapter; throws PgwardenError `dcs-config-invalid` for bad settings. */
export function createEtcdDcs(options: EtcdDcsOptions): EtcdDcs {
  return new EtcdDcs(options);
}

