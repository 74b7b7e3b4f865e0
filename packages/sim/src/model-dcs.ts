/**
 * The model DCS: a linearizable key-value store with leases and
 * compare-and-swap, in model time. The leader key and member keys are bound
 * to a per-member lease that expires ttl after its last refresh; the DCS
 * judges expiry by its own clock (the simulation's true time), not by any
 * member's. Reachability is per member, so partitions and outages are just
 * "this member cannot talk to the DCS now".
 */
import type { Cluster, FailoverValue, HistoryLine, LockOutcome, Member, MemberData, SyncState } from '@pgwarden/core';

interface Versioned<T> {
  readonly value: T;
  readonly version: number;
}

export type DcsOpResult = { readonly ok: true } | { readonly ok: false; readonly reason: 'unreachable' | 'conflict'; readonly message: string };

export class ModelDcs {
  private revision = 1;
  private leader: { name: string; version: number; expiresAtMs: number } | undefined;
  private readonly members = new Map<string, { data: MemberData; version: number; expiresAtMs: number }>();
  private initializeKey: Versioned<string> | undefined;
  private config: Versioned<Record<string, unknown>> | undefined;
  private failover: Versioned<FailoverValue> | undefined;
  private sync: Versioned<{ leader: string | null; standbys: readonly string[] }> | undefined;
  private history: Versioned<readonly HistoryLine[]> | undefined;
  private failsafe: Record<string, string> | undefined;
  private lastLsn = 0;
  /** Called when the leader key changes or goes, or `/config` changes: what wakes a watch. */
  private readonly listeners = new Set<() => void>();
  /** Where expiries are recorded (the world's trace). */
  log?: (line: string) => void;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Subscribe to the changes a watch reports; returns an unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private bump(): number {
    this.revision += 1;
    return this.revision;
  }

  /** Expire leases whose time is up (called by the world before every step). */
  expire(nowMs: number): string[] {
    const expired: string[] = [];
    if (this.leader !== undefined && this.leader.expiresAtMs <= nowMs) {
      expired.push(`leader key of ${this.leader.name} expired`);
      this.log?.(`leader key of ${this.leader.name} expired`);
      this.leader = undefined;
      this.bump();
      this.changed();
    }
    for (const [name, entry] of this.members) {
      if (entry.expiresAtMs <= nowMs) this.members.delete(name);
    }
    return expired;
  }

  leaderName(): string | undefined {
    return this.leader?.name;
  }

  leaderVersion(): number | undefined {
    return this.leader?.version;
  }

  statusOptime(): number {
    return this.lastLsn;
  }

  configData(): Record<string, unknown> | undefined {
    return this.config?.value;
  }

  failoverValue(): FailoverValue | undefined {
    return this.failover?.value;
  }

  syncState(): { leader: string | null; standbys: readonly string[] } | undefined {
    return this.sync?.value;
  }

  read(): Cluster {
    this.expire(this.now());
    const members: Member[] = [...this.members.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, entry]) => ({ name, version: entry.version, data: entry.data }));
    const failover = this.failover;
    const hasFailover = failover !== undefined && (failover.value.leader || failover.value.member);
    const sync = this.sync;
    const syncState: SyncState | undefined =
      sync === undefined ? undefined : { version: sync.version, ...(sync.value.leader === null ? {} : { leader: sync.value.leader }), syncStandbys: sync.value.standbys };
    return {
      ...(this.initializeKey === undefined ? {} : { initialize: this.initializeKey.value }),
      ...(this.config === undefined ? {} : { config: { version: this.config.version, modifyVersion: this.config.version, data: this.config.value } }),
      ...(this.leader === undefined ? {} : { leader: { name: this.leader.name, version: this.leader.version } }),
      members,
      ...(hasFailover && failover !== undefined
        ? {
            failover: {
              version: failover.version,
              ...(failover.value.leader ? { leader: failover.value.leader } : {}),
              ...(failover.value.member ? { candidate: failover.value.member } : {}),
              ...(failover.value.scheduled_at ? { scheduledAt: failover.value.scheduled_at } : {}),
            },
          }
        : {}),
      ...(syncState === undefined ? {} : { sync: syncState }),
      ...(this.history === undefined ? {} : { history: { version: this.history.version, lines: this.history.value } }),
      lastLsn: this.lastLsn,
      ...(this.failsafe === undefined ? {} : { failsafe: { ...this.failsafe } }),
    };
  }

  acquire(name: string, sentAtMs: number): LockOutcome {
    this.expire(this.now());
    if (this.leader !== undefined) return { kind: 'lost', owner: this.leader.name };
    this.leader = { name, version: this.bump(), expiresAtMs: this.now() + this.ttlMs };
    this.changed();
    return { kind: 'held', renewedAtMs: sentAtMs };
  }

  update(name: string, sentAtMs: number, lastLsn: number | undefined, failsafe: Readonly<Record<string, string>> | undefined): LockOutcome {
    this.expire(this.now());
    if (this.leader === undefined || this.leader.name !== name) return { kind: 'lost', ...(this.leader === undefined ? {} : { owner: this.leader.name }) };
    this.leader = { ...this.leader, expiresAtMs: this.now() + this.ttlMs };
    if (lastLsn !== undefined) this.lastLsn = lastLsn;
    if (failsafe !== undefined) this.failsafe = { ...failsafe };
    return { kind: 'held', renewedAtMs: sentAtMs };
  }

  take(name: string, sentAtMs: number): LockOutcome {
    this.leader = { name, version: this.bump(), expiresAtMs: this.now() + this.ttlMs };
    this.changed();
    return { kind: 'held', renewedAtMs: sentAtMs };
  }

  release(name: string, lastLsn: number | undefined): DcsOpResult {
    if (lastLsn !== undefined) this.lastLsn = lastLsn;
    if (this.leader?.name === name) {
      this.leader = undefined;
      this.bump();
      this.changed();
    }
    return { ok: true };
  }

  touchMember(name: string, data: MemberData): void {
    this.members.set(name, { data, version: this.bump(), expiresAtMs: this.now() + this.ttlMs });
  }

  initialize(createNew: boolean, sysid: string | undefined): DcsOpResult {
    if (createNew && this.initializeKey !== undefined) return { ok: false, reason: 'conflict', message: 'initialize exists' };
    this.initializeKey = { value: sysid ?? '', version: this.bump() };
    return { ok: true };
  }

  cancelInitialize(): DcsOpResult {
    this.initializeKey = undefined;
    this.bump();
    return { ok: true };
  }

  setConfig(value: Record<string, unknown>, version?: number): DcsOpResult {
    if (version !== undefined && this.config !== undefined && this.config.version !== version) return { ok: false, reason: 'conflict', message: 'config changed' };
    this.config = { value, version: this.bump() };
    this.changed();
    return { ok: true };
  }

  setFailover(value: FailoverValue, version?: number): DcsOpResult {
    if (version !== undefined && this.failover !== undefined && this.failover.version !== version) return { ok: false, reason: 'conflict', message: 'failover changed' };
    this.failover = { value, version: this.bump() };
    return { ok: true };
  }

  writeSync(leader: string | null, standbys: readonly string[], version?: number): DcsOpResult {
    if (version !== undefined && this.sync !== undefined && this.sync.version !== version) return { ok: false, reason: 'conflict', message: 'sync changed' };
    if (version !== undefined && this.sync === undefined) return { ok: false, reason: 'conflict', message: 'sync absent' };
    this.sync = { value: { leader, standbys: [...standbys].sort() }, version: this.bump() };
    return { ok: true };
  }

  deleteSync(version?: number): DcsOpResult {
    if (version !== undefined && this.sync !== undefined && this.sync.version !== version) return { ok: false, reason: 'conflict', message: 'sync changed' };
    this.sync = undefined;
    this.bump();
    return { ok: true };
  }

  setStatus(optime: number): DcsOpResult {
    this.lastLsn = optime;
    return { ok: true };
  }

  setFailsafe(value: Readonly<Record<string, string>>): DcsOpResult {
    this.failsafe = { ...value };
    return { ok: true };
  }

  setHistory(lines: readonly HistoryLine[]): DcsOpResult {
    this.history = { value: lines, version: this.bump() };
    return { ok: true };
  }
}
