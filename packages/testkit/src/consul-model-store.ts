/**
 * State of the Consul model (see consul-model.ts): a MODEL of the documented
 * semantics of Consul's KV store and sessions, not a real Consul.
 *
 * What it keeps, as Consul documents (and implements) it:
 * - one Raft-like index, raised by every write; each key has CreateIndex,
 *   ModifyIndex, LockIndex, Flags and an optional Session;
 * - deleted keys leave a tombstone so that a blocking query on a deleted key
 *   or a prefix sees the index move (Consul keeps tombstones until reaped);
 * - sessions with a TTL are invalidated 2 × TTL after their last renewal
 *   (Consul's SessionTTLMultiplier); invalidation deletes (behavior=delete)
 *   or releases (behavior=release) the keys they hold and puts a lock-delay
 *   on those keys, during which `acquire` answers false;
 * - `acquire` locks an unlocked key, or updates a key the same session holds,
 *   and answers false when another session holds it; `cas=0` is create-only,
 *   `cas=N` writes only when ModifyIndex is N; DELETE with `cas` on an absent
 *   key answers true, as Consul does.
 */
import { randomUUID } from 'node:crypto';

export interface ModelEntry {
  value: Buffer;
  flags: number;
  createIndex: number;
  modifyIndex: number;
  lockIndex: number;
  session?: string;
}

export interface ModelSession {
  readonly id: string;
  readonly name: string;
  readonly ttlMs: number;
  readonly behavior: 'delete' | 'release';
  readonly lockDelayMs: number;
  readonly createIndex: number;
  timer?: NodeJS.Timeout;
}

export type LockResult = boolean | 'invalid-session';

export class ConsulModelStore {
  index = 10;
  readonly entries = new Map<string, ModelEntry>();
  readonly tombstones = new Map<string, number>();
  readonly sessions = new Map<string, ModelSession>();
  private readonly lockDelays = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  /** False while the model "server" is stopped: session timers do not run. */
  private timersRunning = true;

  /** Called after every write: blocking queries re-evaluate their index. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private commit(): number {
    this.index += 1;
    return this.index;
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Index of a key query: its ModifyIndex, its tombstone, else the table index (as Consul). */
  keyIndex(key: string): number {
    return this.entries.get(key)?.modifyIndex ?? this.tombstones.get(key) ?? this.index;
  }

  /** Index of a prefix query: the highest ModifyIndex or tombstone under it, else the table index. */
  prefixIndex(prefix: string): number {
    let highest = 0;
    for (const [key, entry] of this.entries) if (key.startsWith(prefix)) highest = Math.max(highest, entry.modifyIndex);
    for (const [key, index] of this.tombstones) if (key.startsWith(prefix)) highest = Math.max(highest, index);
    return highest === 0 ? this.index : highest;
  }

  list(prefix: string): Array<[string, ModelEntry]> {
    return [...this.entries].filter(([key]) => key.startsWith(prefix)).sort(([left], [right]) => (left < right ? -1 : 1));
  }

  put(key: string, value: Buffer, flags: number, cas?: number): boolean {
    const existing = this.entries.get(key);
    if (cas !== undefined) {
      if (cas === 0 && existing !== undefined) return false;
      if (cas !== 0 && existing?.modifyIndex !== cas) return false;
    }
    const index = this.commit();
    this.entries.set(key, {
      value,
      flags,
      createIndex: existing?.createIndex ?? index,
      modifyIndex: index,
      lockIndex: existing?.lockIndex ?? 0,
      ...(existing?.session !== undefined ? { session: existing.session } : {}),
    });
    this.tombstones.delete(key);
    this.changed();
    return true;
  }

  acquire(key: string, value: Buffer, flags: number, sessionId: string, nowMs: number): LockResult {
    if (!this.sessions.has(sessionId)) return 'invalid-session';
    if ((this.lockDelays.get(key) ?? 0) > nowMs) return false;
    const existing = this.entries.get(key);
    if (existing?.session !== undefined && existing.session !== sessionId) return false;
    const index = this.commit();
    const relock = existing?.session === sessionId;
    this.entries.set(key, {
      value,
      flags,
      createIndex: existing?.createIndex ?? index,
      modifyIndex: index,
      lockIndex: (existing?.lockIndex ?? 0) + (relock ? 0 : 1),
      session: sessionId,
    });
    this.tombstones.delete(key);
    this.changed();
    return true;
  }

  release(key: string, value: Buffer, flags: number, sessionId: string): LockResult {
    if (!this.sessions.has(sessionId)) return 'invalid-session';
    const existing = this.entries.get(key);
    if (existing?.session !== sessionId) return false;
    const index = this.commit();
    this.entries.set(key, { value, flags, createIndex: existing.createIndex, modifyIndex: index, lockIndex: existing.lockIndex });
    this.changed();
    return true;
  }

  delete(key: string, options: { recurse?: boolean; cas?: number } = {}): boolean {
    const keys = options.recurse ? this.list(key).map(([name]) => name) : [key];
    const existing = this.entries.get(key);
    if (!options.recurse && options.cas !== undefined) {
      if (existing === undefined) return true;
      if (existing.modifyIndex !== options.cas) return false;
    }
    const present = keys.filter((name) => this.entries.has(name));
    if (present.length === 0) return true;
    const index = this.commit();
    for (const name of present) {
      this.entries.delete(name);
      this.tombstones.set(name, index);
    }
    this.changed();
    return true;
  }

  createSession(input: { name: string; ttlMs: number; behavior: 'delete' | 'release'; lockDelayMs: number }): ModelSession {
    const session: ModelSession = { id: randomUUID(), ...input, createIndex: this.commit() };
    this.sessions.set(session.id, session);
    this.armTimer(session);
    this.changed();
    return session;
  }

  /** False when the session does not exist (any more). */
  renewSession(id: string): ModelSession | undefined {
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    this.armTimer(session);
    return session;
  }

  private armTimer(session: ModelSession): void {
    if (session.timer !== undefined) clearTimeout(session.timer);
    session.timer = undefined;
    if (session.ttlMs === 0 || !this.timersRunning) return;
    // Consul invalidates a session only after twice its TTL (SessionTTLMultiplier = 2).
    session.timer = setTimeout(() => this.invalidateSession(session.id, Date.now()), session.ttlMs * 2);
    session.timer.unref();
  }

  /** Destroy or expire a session: its keys are deleted or released, with lock-delay. */
  invalidateSession(id: string, nowMs: number): boolean {
    const session = this.sessions.get(id);
    if (session === undefined) return false;
    if (session.timer !== undefined) clearTimeout(session.timer);
    this.sessions.delete(id);
    const index = this.commit();
    for (const [key, entry] of [...this.entries]) {
      if (entry.session !== id) continue;
      if (session.lockDelayMs > 0) this.lockDelays.set(key, nowMs + session.lockDelayMs);
      if (session.behavior === 'delete') {
        this.entries.delete(key);
        this.tombstones.set(key, index);
      } else {
        this.entries.set(key, { value: entry.value, flags: entry.flags, createIndex: entry.createIndex, modifyIndex: index, lockIndex: entry.lockIndex });
      }
    }
    this.changed();
    return true;
  }

  /** Server stopped: TTL timers stop (no leader runs them). */
  pauseTimers(): void {
    this.timersRunning = false;
    for (const session of this.sessions.values()) {
      if (session.timer !== undefined) clearTimeout(session.timer);
      session.timer = undefined;
    }
  }

  /** A new leader resets every session timer to the full 2 × TTL, as Consul does on leadership. */
  resumeTimers(): void {
    this.timersRunning = true;
    for (const session of this.sessions.values()) this.armTimer(session);
  }

  clear(): void {
    this.pauseTimers();
    this.listeners.clear();
  }
}
