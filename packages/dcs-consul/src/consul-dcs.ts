/**
 * The DCS contract (`Dcs` of @pgwarden/core) over Consul's HTTP API, with
 * Patroni's key layout (`service/<scope>/...`, no leading slash) and value
 * formats, a session-bound leader lock, CAS writes and a watch on a blocking
 * query (spec/dcs.md §4).
 *
 * Invariants: no method throws for a DCS failure; an unknown failure is
 * `unreachable`, never a lost lock; every request is bounded by
 * retry_timeout/3 and every operation by retry_timeout; `renewedAtMs` is the
 * injected clock's time before the session renewal that backs the lock.
 */
import {
  emptyCluster,
  parseClusterFromKeys,
  statusJson,
  syncJson,
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
import type { ClientContext } from './client.js';
import { ConsulTransport } from './http.js';
import { deleteKv, putKv, readKv, type KvEntry, type KvSettings, type PutOptions } from './kv.js';
import { acquireLeader, deleteLeaderKey, takeLeader, updateLeader, type LockContext } from './leader-lock.js';
import { silentLogger, type Logger } from './logger.js';
import { clusterBasePath, parseConsulSettings, resolveBaseUrl, type ConsulDcsSettings } from './options.js';
import { SessionKeeper } from './session.js';
import { touchMemberKey, type MemberKeyState } from './member-key.js';
import { readPem, writeOutcome } from './outcomes.js';
import { runWatch, WatchState } from './watch.js';
import { leaderMark } from './watch-baseline.js';

export interface ConsulDcsOptions extends ConsulDcsSettings {
  /** Milliseconds since the epoch; `renewedAtMs` and deadlines are read from it. Default Date.now. */
  readonly clock?: () => number;
  /** Jitter of the retry back-off, in [0, 1). Default Math.random. */
  readonly random?: () => number;
  readonly logger?: Logger;
}

const ok = <T>(value: T): DcsResult<T> => ({ ok: true, value });
const ok0: DcsResult<void> = { ok: true, value: undefined };

export class ConsulDcs implements Dcs {
  readonly backend = 'consul';
  private timings: DcsTimings;
  private readonly client: ClientContext;
  private readonly kv: KvSettings;
  private readonly base: string;
  private readonly name: string;
  private readonly session: SessionKeeper;
  private readonly lock: LockContext;
  private readonly watchState: WatchState;
  private readonly transport: ConsulTransport;
  private readonly closed = new AbortController();
  /** Last known raw values (read or written): unchanged status/failsafe/member writes are skipped. */
  private lastStatus: string | undefined;
  private lastFailsafe: string | undefined;
  private readonly member: MemberKeyState = { lastWritten: undefined, known: undefined };

  constructor(options: ConsulDcsOptions) {
    const settings = parseConsulSettings(options);
    this.timings = { ttlSeconds: settings.ttlSeconds, loopWaitSeconds: settings.loopWaitSeconds, retryTimeoutSeconds: settings.retryTimeoutSeconds };
    this.name = settings.name;
    this.base = clusterBasePath(settings.namespace, settings.scope);
    const certificate = readPem(settings.cert, 'cert');
    const tls = {
      verify: settings.verify !== false,
      ...(settings.cacert !== undefined ? { ca: readPem(settings.cacert, 'cacert') } : {}),
      ...(certificate !== undefined ? { cert: certificate, key: readPem(settings.key, 'key') ?? certificate } : {}),
    };
    this.transport = new ConsulTransport({ baseUrl: resolveBaseUrl(settings), ...(settings.token !== undefined ? { token: settings.token } : {}), tls });
    this.client = {
      transport: this.transport,
      clock: options.clock ?? Date.now,
      random: options.random ?? Math.random,
      logger: options.logger ?? silentLogger,
      retryTimeoutMs: () => this.timings.retryTimeoutSeconds * 1000,
      closed: this.closed.signal,
    };
    this.kv = { consistency: settings.consistency, ...(settings.dc !== undefined ? { dc: settings.dc } : {}) };
    this.session = new SessionKeeper(this.client, {
      sessionName: `${settings.scope}-${settings.name}`,
      checks: settings.checks,
      ttlSeconds: () => this.timings.ttlSeconds,
      loopWaitSeconds: () => this.timings.loopWaitSeconds,
    });
    this.watchState = new WatchState();
    this.lock = {
      client: this.client,
      kv: this.kv,
      leaderKey: this.key('leader'),
      name: this.name,
      session: this.session,
      onHeld: (sessionId) => this.patchBaseline({ leader: leaderMark(this.name, sessionId), leaderName: this.name }),
    };
  }

  private key(relative: string): string {
    return `${this.base}/${relative}`;
  }

  private deadline(): number {
    return this.client.clock() + this.timings.retryTimeoutSeconds * 1000;
  }

  private patchBaseline(patch: Partial<NonNullable<WatchState['baseline']>>): void {
    if (this.watchState.baseline !== undefined) this.watchState.baseline = { ...this.watchState.baseline, ...patch };
  }

  async getCluster(): Promise<DcsResult<Cluster>> {
    const result = await readKv(this.client, this.kv, `${this.base}/`, { recurse: true }, this.deadline());
    if (!result.ok) return { ok: false, reason: 'unreachable', message: `read cluster: ${result.message}` };
    this.observe(result.entries, result.index);
    if (result.entries.length === 0) return ok(emptyCluster);
    const prefix = `${this.base}/`;
    const raws = result.entries
      .filter((entry) => entry.key.startsWith(prefix) && entry.key !== prefix)
      .map((entry) => ({ key: entry.key.slice(prefix.length), value: entry.value, version: entry.modifyIndex, ...(entry.session !== undefined ? { session: entry.session } : {}) }));
    return ok(parseClusterFromKeys(raws));
  }

  private observe(entries: readonly KvEntry[], index: number | undefined): void {
    const find = (relative: string): KvEntry | undefined => entries.find((entry) => entry.key === this.key(relative));
    this.lastStatus = find('status')?.value;
    this.lastFailsafe = find('failsafe')?.value;
    this.member.known = find(`members/${this.name}`);
    this.watchState.observe(entries, index, this.base);
  }

  acquireLeader(): Promise<LockOutcome> {
    return acquireLeader(this.lock);
  }

  async updateLeader(input: UpdateLeaderInput): Promise<LockOutcome> {
    const deadline = this.deadline();
    const outcome = await updateLeader(this.lock, deadline);
    if (outcome.kind !== 'held') return outcome;
    if (input.lastLsn !== undefined && input.lastLsn > 0) {
      const slots = { ...(input.slots && Object.keys(input.slots).length > 0 ? { slots: { ...input.slots } } : {}), ...(input.retainSlots !== undefined ? { retain_slots: [...input.retainSlots] } : {}) };
      await this.writeStatusWithin({ optime: input.lastLsn, ...slots }, deadline);
    }
    if (input.failsafe !== undefined) await this.writeFailsafeWithin(input.failsafe, deadline);
    return outcome;
  }

  takeLeader(): Promise<LockOutcome> {
    return takeLeader(this.lock);
  }

  async deleteLeader(input: { readonly lastLsn?: number }): Promise<DcsResult<void>> {
    const deadline = this.deadline();
    if (input.lastLsn !== undefined && input.lastLsn > 0) await this.writeStatusWithin({ optime: input.lastLsn }, deadline);
    const result = await deleteLeaderKey(this.lock, deadline);
    if (result.ok) this.patchBaseline({ leader: undefined, leaderName: undefined });
    return result;
  }

  async initialize(input: { readonly createNew: boolean; readonly sysid?: string }): Promise<DcsResult<void>> {
    const options: PutOptions = input.createNew ? { cas: 0 } : {};
    return writeOutcome('initialize', await putKv(this.client, this.kv, this.key('initialize'), input.sysid ?? '', options, this.deadline()));
  }

  async cancelInitialization(): Promise<DcsResult<void>> {
    return writeOutcome('cancel initialization', await deleteKv(this.client, this.kv, this.key('initialize'), {}, this.deadline()));
  }

  /** Spec §4.2: on our session; a key left on another session (an earlier process, or ours recreated) is deleted first. */
  touchMember(data: MemberData): Promise<DcsResult<void>> {
    return touchMemberKey({ client: this.client, kv: this.kv, session: this.session, key: this.key(`members/${this.name}`) }, this.member, data, this.deadline());
  }

  async setConfig(value: Readonly<Record<string, unknown>>, version?: number): Promise<DcsResult<void>> {
    const text = toPatroniJson(value);
    const result = writeOutcome('set config', await putKv(this.client, this.kv, this.key('config'), text, version !== undefined ? { cas: version } : {}, this.deadline()));
    if (result.ok) this.patchBaseline({ config: text });
    return result;
  }

  async setFailover(value: FailoverValue, version?: number): Promise<DcsResult<void>> {
    const options = version !== undefined ? { cas: version } : {};
    return writeOutcome('set failover', await putKv(this.client, this.kv, this.key('failover'), toPatroniJson(value), options, this.deadline()));
  }

  /** Spec §4.2: PUT with CAS, then read the key back (consistent) for its new ModifyIndex. */
  async writeSyncState(leader: string | null, standbys: readonly string[], version?: number, quorum?: number): Promise<DcsResult<SyncState>> {
    const deadline = this.deadline();
    const sorted = [...standbys].sort();
    const text = syncJson(leader, sorted, quorum);
    const written = writeOutcome('write sync state', await putKv(this.client, this.kv, this.key('sync'), text, version !== undefined ? { cas: version } : {}, deadline));
    if (!written.ok) return written;
    const read = await readKv(this.client, this.kv, this.key('sync'), { recurse: false, consistency: 'consistent' }, deadline);
    if (!read.ok) return { ok: false, reason: 'unreachable', message: `write sync state: read back: ${read.message}` };
    const entry = read.entries[0];
    if (entry === undefined || entry.value !== text) return { ok: false, reason: 'conflict', message: 'write sync state: the key changed right after the write' };
    return ok({ version: entry.modifyIndex, ...(leader ? { leader } : {}), syncStandbys: sorted, ...(quorum !== undefined ? { quorum } : {}) });
  }

  async deleteSyncState(version?: number): Promise<DcsResult<void>> {
    return writeOutcome('delete sync state', await deleteKv(this.client, this.kv, this.key('sync'), version !== undefined ? { cas: version } : {}, this.deadline()));
  }

  async setHistory(lines: readonly HistoryLine[]): Promise<DcsResult<void>> {
    return writeOutcome('set history', await putKv(this.client, this.kv, this.key('history'), toPatroniJson(lines), {}, this.deadline()));
  }

  writeStatus(status: StatusValue): Promise<DcsResult<void>> {
    return this.writeStatusWithin(status, this.deadline());
  }

  /** As Patroni 4.x: `slots`/`retain_slots` not given are carried over from the last known `/status`. */
  private async writeStatusWithin(status: StatusValue, deadline: number): Promise<DcsResult<void>> {
    const text = statusJson(status, this.lastStatus);
    if (text === this.lastStatus) return ok0;
    const result = writeOutcome('write status', await putKv(this.client, this.kv, this.key('status'), text, {}, deadline));
    if (result.ok) {
      this.lastStatus = text;
      this.patchBaseline({ status: text });
    } else this.client.logger.warn({ message: result.message }, 'could not write /status');
    return result;
  }

  writeFailsafe(value: Readonly<Record<string, string>>): Promise<DcsResult<void>> {
    return this.writeFailsafeWithin(value, this.deadline());
  }

  private async writeFailsafeWithin(value: Readonly<Record<string, string>>, deadline: number): Promise<DcsResult<void>> {
    const text = toPatroniJson(value);
    if (text === this.lastFailsafe) return ok0;
    const result = writeOutcome('write failsafe', await putKv(this.client, this.kv, this.key('failsafe'), text, {}, deadline));
    if (result.ok) this.lastFailsafe = text;
    else this.client.logger.warn({ message: result.message }, 'could not write /failsafe');
    return result;
  }

  async deleteCluster(): Promise<DcsResult<void>> {
    return writeOutcome('delete cluster', await deleteKv(this.client, this.kv, `${this.base}/`, { recurse: true }, this.deadline()));
  }

  watch(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    // Spec §4.1: the renewal throttle is reset before each watch.
    this.session.resetThrottle();
    return runWatch(this.watchState, { client: this.client, kv: this.kv, base: this.base, name: this.name }, timeoutMs, signal);
  }

  configure(timings: DcsTimings): void {
    const ttlChanged = timings.ttlSeconds !== this.timings.ttlSeconds;
    this.timings = { ...timings };
    if (ttlChanged) {
      // A new session with the new TTL is created on next use; the keys on the old one expire.
      this.session.reset();
      this.watchState.wakePending = true;
    }
  }

  async close(): Promise<void> {
    this.closed.abort();
    this.watchState.closed.abort();
    this.transport.close();
  }
}

/** Build the adapter from Patroni's `consul` section plus identity and timings; throws PgwardenError `dcs-config-invalid` on bad input. */
export function createConsulDcs(options: ConsulDcsOptions): ConsulDcs {
  return new ConsulDcs(options);
}
