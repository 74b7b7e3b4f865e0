/**
 * The model DCS: a linearizable key-value store with leases and
 * compare-and-swap, in model time. The leader key and member keys are bound
 * to a per-member lease that expires ttl after its last refresh; the DCS
 * judges expiry by its own clock (the simulation's true time), not by any
 * member's. Reachability is per member, so partitions and outages are just
 * "this member cannot talk to the DCS now".
 *
 * Each member's keys are bound to its session (etcd's lease, Consul's
 * session), named `<member>#<n>`; a member that changes its ttl gets a new
 * session. A change that wakes watches is announced with its kind and the
 * member that made it, so a member's own writes need not wake it.
 */
import type { Cluster, FailoverValue, HistoryLine, LockOutcome, Member, MemberData, SyncState } from '@pgwarden/core';

interface Versioned<T> {
  readonly value: T;
  readonly version: number;
}

/** What changed, and who changed it (undefined: the store itself, e.g. an expiry). */
export interface DcsChange {
  readonly kind: 'leader' | 'config' | 'status';
  readonly by?: string;
}

export type DcsOpResult = { readonly ok: true } | { readonly ok: false; readonly reason: 'unreachable' | 'conflict'; readonly message: string };

export class ModelDcs {
  private revision = 1;
  private leader: { name: string; version: number; expiresAtMs: number; session: string } | undefined;
  private readonly members = new Map<string, { data: MemberData; version: number; expiresAtMs: number; session: string }>();
  /** Each member's current session: its ttl, and a counter bumped when the ttl changes. */
  private readonly sessions = new Map<string, { ttlMs: number; generation: number }>();
  private initializeKey: Versioned<string> | undefined;
  private config: Versioned<Record<string, unknown>> | undefined;
  private failover: Versioned<FailoverValue> | undefined;
  private sync: Versioned<{ leader: string | null; standbys: readonly string[]; quorum?: number }> | undefined;
  private history: Versioned<readonly HistoryLine[]> | undefined;
  private failsafe: Record<string, string> | undefined;
  private lastLsn = 0;
  private slots: Readonly<Record<string, number>> | undefined;
  /** Called when the leader key changes or goes, or `/config` changes: what wakes a watch. */
  private readonly listeners = new Set<(change: DcsChange) => void>();
  /** Where expiries are recorded (the world's trace). */
  log?: (line: string) => void;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Subscribe to the changes a watch reports; returns an unsubscribe function. */
  onChange(listener: (change: DcsChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(kind: DcsChange['kind'], by?: string): void {
    const change: DcsChange = by === undefined ? { kind } : { kind, by };
    for (const listener of [...this.listeners]) listener(change);
  }

  /** The session `name` writes on with lease time `ttlMs`; a different ttl than last time opens a new one. */
  private session(name: string, ttlMs: number): { id: string; ttlMs: number } {
    const current = this.sessions.get(name);
    const next = current === undefined ? { ttlMs, generation: 1 } : current.ttlMs === ttlMs ? current : { ttlMs, generation: current.generation + 1 };
    this.sessions.set(name, next);
    return { id: `${name}#${next.generation}`, ttlMs };
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
      this.changed('leader');
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

  syncState(): { leader: string | null; standbys: readonly string[]; quorum?: number } | undefined {
    return this.sync?.value;
  }

  read(): Cluster {
    this.expire(this.now());
    const members: Member[] = [...this.members.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, entry]) => ({ name, version: entry.version, session: entry.session, data: entry.data }));
    const failover = this.failover;
    const hasFailover = failover !== undefined && (failover.value.leader || failover.value.member);
    const sync = this.sync;
    const syncState: SyncState | undefined =
      sync === undefined ? undefined : { version: sync.version, ...(sync.value.leader === null ? {} : { leader: sync.value.leader }), syncStandbys: sync.value.standbys, ...(sync.value.quorum === undefined ? {} : { quorum: sync.value.quorum }) };
    return {
      ...(this.initializeKey === undefined ? {} : { initialize: this.initializeKey.value }),
      ...(this.config === undefined ? {} : { config: { version: this.config.version, modifyVersion: this.config.version, data: this.config.value } }),
      ...(this.leader === undefined ? {} : { leader: { name: this.leader.name, version: this.leader.version, session: this.leader.session } }),
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
      ...(this.slots === undefined ? {} : { slots: { ...this.slots } }),
      ...(this.failsafe === undefined ? {} : { failsafe: { ...this.failsafe } }),
    };
  }

  /**
   * Create the leader key if absent. A member that already owns it (same
   * session) keeps it, as a create-if-absent answered "exists, and it is
   * yours" does in the real adapters.
   */
  acquire(name: string, sentAtMs: number, ttlMs = this.ttlMs): LockOutcome {
    this.expire(this.now());
    if (this.leader !== undefined && this.leader.name !== name) return { kind: 'lost', owner: this.leader.name };
    if (this.leader !== undefined) return this.update(name, sentAtMs, undefined, undefined, ttlMs);
    const session = this.session(name, ttlMs);
    this.leader = { name, version: this.bump(), expiresAtMs: this.now() + session.ttlMs, session: session.id };
    this.changed('leader', name);
    return { kind: 'held', renewedAtMs: sentAtMs };
  }

  /**
   * Refresh the lock while `name` owns it, then publish `/status` (optime,
   * slots) and `/failsafe`. After a ttl change the key moves to the new
   * session (a new key version, as a rewrite on a new lease is).
   */
  update(
    name: string,
    sentAtMs: number,
    lastLsn: number | undefined,
    failsafe: Readonly<Record<string, string>> | undefined,
    ttlMs = this.ttlMs,
    slots?: Readonly<Record<string, number>>,
  ): LockOutcome {
    this.expire(this.now());
    if (this.leader === undefined || this.leader.name !== name) return { kind: 'lost', ...(this.leader === undefined ? {} : { owner: this.leader.name }) };
    const session = this.session(name, ttlMs);
    this.leader =
      this.leader.session === session.id
        ? { ...this.leader, expiresAtMs: this.now() + session.ttlMs }
        : { name, version: this.bump(), expiresAtMs: this.now() + session.ttlMs, session: session.id };
    const statusChanged = (lastLsn !== undefined && lastLsn !== this.lastLsn) || (slots !== undefined && !sameJson(slots, this.slots));
    if (lastLsn !== undefined) this.lastLsn = lastLsn;
    if (slots !== undefined) this.slots = { ...slots };
    if (failsafe !== undefined) this.failsafe = { ...failsafe };
    if (statusChanged) this.changed('status', name);
    return { kind: 'held', renewedAtMs: sentAtMs };
  }

  take(name: string, sentAtMs: number, ttlMs = this.ttlMs): LockOutcome {
    const session = this.session(name, ttlMs);
    this.leader = { name, version: this.bump(), expiresAtMs: this.now() + session.ttlMs, session: session.id };
    this.changed('leader', name);
    return { kind: 'held', renewedAtMs: sentAtMs };
  }

  /** Publish the optime, then delete the leader key only if `name` owns it (else a conflict, the key stays). */
  release(name: string, lastLsn: number | undefined): DcsOpResult {
    if (lastLsn !== undefined) this.lastLsn = lastLsn;
    if (this.leader === undefined) return { ok: true };
    if (this.leader.name !== name) return { ok: false, reason: 'conflict', message: `the leader key belongs to ${this.leader.name}` };
    this.leader = undefined;
    this.bump();
    this.changed('leader', name);
    return { ok: true };
  }

  /**
   * A switchover's release that gives the key to `heir` on the session its
   * member key is on (expiring with it), when that key is still the version
   * the releasing member read (etcd's MOD compare); else the plain release.
   */
  handOver(name: string, lastLsn: number | undefined, heir: string, heirVersion: number | undefined): DcsOpResult & { readonly handedOver?: boolean } {
    this.expire(this.now());
    const entry = this.members.get(heir);
    if (this.leader?.name !== name || entry === undefined || entry.version !== heirVersion) return this.release(name, lastLsn);
    if (lastLsn !== undefined) this.lastLsn = lastLsn;
    this.leader = { name: heir, version: this.bump(), expiresAtMs: entry.expiresAtMs, session: entry.session };
    this.changed('leader', name);
    return { ok: true, handedOver: true };
  }

  /** Write `members/<name>` on its session; unchanged data only refreshes the lease (no new version). */
  touchMember(name: string, data: MemberData, ttlMs = this.ttlMs): void {
    const session = this.session(name, ttlMs);
    const current = this.members.get(name);
    const unchanged = current !== undefined && current.session === session.id && sameJson(current.data, data);
    this.members.set(name, { data, version: unchanged ? current.version : this.bump(), expiresAtMs: this.now() + session.ttlMs, session: session.id });
  }

  /** Remove every key of the cluster (`pgwardenctl remove`); sessions stay open. */
  clear(): DcsOpResult {
    const hadLeader = this.leader !== undefined;
    this.leader = undefined;
    this.members.clear();
    this.initializeKey = undefined;
    this.config = undefined;
    this.failover = undefined;
    this.sync = undefined;
    this.history = undefined;
    this.failsafe = undefined;
    this.slots = undefined;
    this.lastLsn = 0;
    this.bump();
    if (hadLeader) this.changed('leader');
    return { ok: true };
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
    this.changed('config');
    return { ok: true };
  }

  setFailover(value: FailoverValue, version?: number): DcsOpResult {
    if (version !== undefined && this.failover !== undefined && this.failover.version !== version) return { ok: false, reason: 'conflict', message: 'failover changed' };
    this.failover = { value, version: this.bump() };
    return { ok: true };
  }

  writeSync(leader: string | null, standbys: readonly string[], version?: number, quorum?: number): DcsOpResult {
    if (version !== undefined && this.sync !== undefined && this.sync.version !== version) return { ok: false, reason: 'conflict', message: 'sync changed' };
    if (version !== undefined && this.sync === undefined) return { ok: false, reason: 'conflict', message: 'sync absent' };
    this.sync = { value: { leader, standbys: [...standbys].sort(), ...(quorum === undefined ? {} : { quorum }) }, version: this.bump() };
    return { ok: true };
  }

  deleteSync(version?: number): DcsOpResult {
    if (version !== undefined && this.sync !== undefined && this.sync.version !== version) return { ok: false, reason: 'conflict', message: 'sync changed' };
    this.sync = undefined;
    this.bump();
    return { ok: true };
  }

  setStatus(optime: number, slots?: Readonly<Record<string, number>>): DcsOpResult {
    const changed = optime !== this.lastLsn || (slots !== undefined && !sameJson(slots, this.slots));
    this.lastLsn = optime;
    if (slots !== undefined) this.slots = { ...slots };
    if (changed) this.changed('status');
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

/** Structural equality of JSON-shaped values (key order ignored). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(right, key) && sameJson(left[key], right[key]));
}
