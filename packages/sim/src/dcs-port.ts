/**
 * The `Dcs` adapter of one member over the model store: what dcs-etcd is to
 * etcd. Every request takes a few virtual milliseconds and is applied at the
 * store when it arrives; a member cut off from the DCS gets `unreachable` at
 * once (refused) or after its own deadline, retry_timeout (black-holed
 * link). A renewal reports the member's clock reading when it was sent.
 * Answers are events owned by the member, so a stopped agent receives none.
 */
import type { Cluster, Dcs, DcsResult, FailoverValue, HistoryLine, LockOutcome, MemberData, ReleaseOutcome, StatusValue, SyncState, UpdateLeaderInput } from '@pgwarden/core';
import type { Clock } from '@pgwarden/daemon';
import { checkCycleStart, checkFinalPosition, notePublishedOptime } from './checks.js';
import type { DcsOpResult } from './model-dcs.js';
import type { EventOwner } from './scheduler.js';
import type { SimMember, World } from './world.js';
import { dcsCutFor, processOwner, reachesDcs } from './world.js';

const unreachableMessage = 'model DCS unreachable';

export class SimDcs implements Dcs {
  readonly backend = 'model';
  private readonly unsubscribers = new Set<() => void>();
  private closed = false;
  /** The last snapshot this member read: the member key versions a hand-over compares against. */
  private lastRead: Cluster | undefined;
  private readonly owner: EventOwner;

  constructor(
    private readonly world: World,
    private readonly member: SimMember,
    private readonly clock: Clock,
  ) {
    this.owner = processOwner(member);
  }

  private latencyMs(): number {
    return this.world.rng.int(1, 8);
  }

  /** The adapter's own deadline for one request (the real adapters use retry_timeout). */
  private deadlineMs(): number {
    return this.world.scenario.settings.retryTimeoutSeconds * 1000;
  }

  private request<T>(apply: () => T, unreachable: () => T): Promise<T> {
    const { world, member } = this;
    return new Promise<T>((resolve) => {
      // A dropped process hears nothing any more; one that closed its client (exit) is refused.
      if (this.owner.gone === true) return;
      if (this.closed) {
        resolve(unreachable());
        return;
      }
      const cut = dcsCutFor(world, member);
      if (cut !== undefined) {
        const delay = cut.failure === 'refused' ? this.latencyMs() : this.deadlineMs();
        world.scheduler.after(delay, this.owner, () => resolve(unreachable()));
        return;
      }
      const latency = this.latencyMs();
      world.scheduler.after(latency, this.owner, () => {
        // Cut while in flight: the request is lost and the caller waits for its deadline.
        if (!reachesDcs(world, member)) world.scheduler.after(this.deadlineMs() - latency, this.owner, () => resolve(unreachable()));
        else resolve(apply());
      });
    });
  }

  private result<T>(apply: () => DcsResult<T>): Promise<DcsResult<T>> {
    return this.request<DcsResult<T>>(apply, () => ({ ok: false, reason: 'unreachable', message: unreachableMessage }));
  }

  private write(apply: () => DcsOpResult): Promise<DcsResult<void>> {
    return this.result<void>(() => {
      const outcome = apply();
      return outcome.ok ? { ok: true, value: undefined } : outcome;
    });
  }

  private lock(apply: (sentAtMs: number) => LockOutcome): Promise<LockOutcome> {
    const sentAtMs = this.clock.nowMs();
    return this.request<LockOutcome>(() => apply(sentAtMs), () => ({ kind: 'unreachable', message: unreachableMessage }));
  }

  /** The cycle's first request: where the runtime's wake-up is checked. */
  getCluster(): Promise<DcsResult<Cluster>> {
    checkCycleStart(this.world, this.member);
    return this.result(() => {
      const value = this.world.dcs.read();
      this.lastRead = value;
      return { ok: true, value };
    });
  }

  acquireLeader(): Promise<LockOutcome> {
    return this.lock((sentAtMs) => this.world.dcs.acquire(this.member.name, sentAtMs));
  }

  updateLeader(input: UpdateLeaderInput): Promise<LockOutcome> {
    return this.lock((sentAtMs) => {
      const outcome = this.world.dcs.update(this.member.name, sentAtMs, input.lastLsn, input.failsafe);
      if (outcome.kind === 'held' && input.lastLsn !== undefined) notePublishedOptime(this.world, this.member, input.lastLsn);
      return outcome;
    });
  }

  takeLeader(): Promise<LockOutcome> {
    return this.lock((sentAtMs) => this.world.dcs.take(this.member.name, sentAtMs));
  }

  deleteLeader(input: { readonly lastLsn?: number }): Promise<DcsResult<void>> {
    return this.write(() => {
      checkFinalPosition(this.world, this.member, input.lastLsn);
      return this.world.dcs.release(this.member.name, input.lastLsn);
    });
  }

  /**
   * As the runtime does without it (the member key, then the release: two
   * requests) unless a switchover hands the key over: then one request, as
   * etcd's txn, the hand-over guarded by the heir's member key version in
   * the last snapshot this member read.
   */
  async releaseLeader(input: { readonly lastLsn?: number; readonly member: MemberData; readonly handOverTo?: string }): Promise<ReleaseOutcome> {
    const heir = input.handOverTo;
    if (heir === undefined) {
      const member = await this.touchMember(input.member);
      return { member, leader: await this.deleteLeader(input.lastLsn === undefined ? {} : { lastLsn: input.lastLsn }) };
    }
    const heirVersion = this.lastRead?.members.find((entry) => entry.name === heir)?.version;
    const done: DcsResult<void> = { ok: true, value: undefined };
    const failed: DcsResult<void> = { ok: false, reason: 'unreachable', message: unreachableMessage };
    return this.request<ReleaseOutcome>(
      () => {
        this.world.dcs.touchMember(this.member.name, input.member);
        checkFinalPosition(this.world, this.member, input.lastLsn);
        const outcome = this.world.dcs.handOver(this.member.name, input.lastLsn, heir, heirVersion);
        if (!outcome.ok) return { member: done, leader: outcome };
        return { member: done, leader: done, ...(outcome.handedOver === true ? { handedOver: true } : {}) };
      },
      () => ({ member: failed, leader: failed }),
    );
  }

  initialize(input: { readonly createNew: boolean; readonly sysid?: string }): Promise<DcsResult<void>> {
    return this.write(() => this.world.dcs.initialize(input.createNew, input.sysid));
  }

  cancelInitialization(): Promise<DcsResult<void>> {
    return this.write(() => this.world.dcs.cancelInitialize());
  }

  touchMember(data: MemberData): Promise<DcsResult<void>> {
    return this.write(() => {
      this.world.dcs.touchMember(this.member.name, data);
      return { ok: true };
    });
  }

  setConfig(value: Readonly<Record<string, unknown>>, version?: number): Promise<DcsResult<void>> {
    return this.write(() => this.world.dcs.setConfig({ ...value }, version));
  }

  setFailover(value: FailoverValue, version?: number): Promise<DcsResult<void>> {
    return this.write(() => this.world.dcs.setFailover(value, version));
  }

  writeSyncState(leader: string | null, standbys: readonly string[], version?: number, quorum?: number): Promise<DcsResult<SyncState>> {
    return this.result<SyncState>(() => {
      const outcome = this.world.dcs.writeSync(leader, standbys, version, quorum);
      if (outcome.ok && quorum !== undefined && standbys.length > 0) this.world.stats.quorumKeysWithVoters += 1;
      if (!outcome.ok) return outcome;
      const sync = this.world.dcs.read().sync;
      return sync === undefined ? { ok: false, reason: 'conflict', message: 'sync vanished' } : { ok: true, value: sync };
    });
  }

  deleteSyncState(version?: number): Promise<DcsResult<void>> {
    return this.write(() => this.world.dcs.deleteSync(version));
  }

  setHistory(lines: readonly HistoryLine[]): Promise<DcsResult<void>> {
    return this.write(() => this.world.dcs.setHistory(lines));
  }

  writeStatus(status: StatusValue): Promise<DcsResult<void>> {
    return this.write(() => this.world.dcs.setStatus(status.optime ?? this.world.dcs.statusOptime()));
  }

  writeFailsafe(value: Readonly<Record<string, string>>): Promise<DcsResult<void>> {
    return this.write(() => this.world.dcs.setFailsafe(value));
  }

  deleteCluster(): Promise<DcsResult<void>> {
    return this.write(() => this.world.dcs.clear());
  }

  /** Woken (after the network latency) by a change of the leader key or `/config` while we reach the DCS. */
  watch(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const { world, member } = this;
    return new Promise<boolean>((resolve) => {
      if (this.owner.gone === true) return;
      let done = false;
      const finish = (woken: boolean): void => {
        if (done) return;
        done = true;
        cancelTimer();
        unsubscribe();
        this.unsubscribers.delete(unsubscribe);
        signal?.removeEventListener('abort', onAbort);
        resolve(woken);
      };
      const onAbort = (): void => finish(false);
      const cancelTimer = world.scheduler.after(timeoutMs, this.owner, () => finish(false));
      // A status change does not wake the model's watches (the sim's traces predate it); the leader key and /config do.
      const unsubscribe = world.dcs.onChange((change) => {
        if (change.kind !== 'status' && reachesDcs(world, member)) world.scheduler.after(this.latencyMs(), this.owner, () => finish(true));
      });
      this.unsubscribers.add(unsubscribe);
      if (signal?.aborted === true || this.closed) finish(false);
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  configure(): void {
    // The scenario's timings are fixed; the store's leases use its ttl.
  }

  /** Also called when the agent is dropped (crash): no watch of the old process stays subscribed. */
  dispose(): void {
    this.closed = true;
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers.clear();
  }

  close(): Promise<void> {
    this.dispose();
    return Promise.resolve();
  }
}
