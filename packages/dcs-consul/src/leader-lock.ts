/**
 * The leader lock over a Consul session (spec/dcs.md §4.2), with the
 * contract's typed outcomes: `held` only when Consul confirmed the key is
 * ours, `lost` only when Consul answered that it is absent-and-not-ours or
 * someone else's, `unreachable` for everything else. Unlike Patroni's
 * update_leader, a refresh reads the key and never reports success on a key
 * it did not confirm, and never takes over a key another member holds.
 */
import type { DcsResult, LockOutcome } from '@pgwarden/core';
import type { ClientContext } from './client.js';
import { deleteKv, putKv, readKv, type KvEntry, type KvSettings } from './kv.js';
import type { HeldSession, SessionKeeper } from './session.js';

export interface LockContext {
  readonly client: ClientContext;
  readonly kv: KvSettings;
  readonly leaderKey: string;
  readonly name: string;
  readonly session: SessionKeeper;
  /** Called with the session after we confirmed we hold the key (for the watch baseline). */
  onHeld(sessionId: string): void;
}

/** Spec §3.6/§4: with less than this left of the budget after the session refresh, do not attempt the write. */
const MINIMUM_WRITE_BUDGET_MS = 1000;

const unreachable = (message: string): LockOutcome => ({ kind: 'unreachable', message });

async function readLeader(context: LockContext, deadline: number): Promise<{ ok: true; entry?: KvEntry } | { ok: false; message: string }> {
  const result = await readKv(context.client, context.kv, context.leaderKey, { recurse: false, consistency: 'consistent' }, deadline);
  if (!result.ok) return result;
  const entry = result.entries.find((candidate) => candidate.key === context.leaderKey);
  return entry === undefined ? { ok: true } : { ok: true, entry };
}

async function lostTo(context: LockContext, deadline: number): Promise<LockOutcome> {
  const read = await readLeader(context, deadline);
  const owner = read.ok && read.entry !== undefined && read.entry.value !== '' ? read.entry.value : undefined;
  return owner === undefined ? { kind: 'lost' } : { kind: 'lost', owner };
}

async function sessionWithin(context: LockContext, force: boolean, deadline: number): Promise<HeldSession | LockOutcome> {
  const result = await context.session.ensure(force, deadline);
  if (!result.ok) return unreachable(result.message);
  if (deadline - context.client.clock() < Math.min(MINIMUM_WRITE_BUDGET_MS, context.client.retryTimeoutMs() / 2)) {
    return unreachable('the retry budget ran out while refreshing the consul session');
  }
  return result.session;
}

function isSession(value: HeldSession | LockOutcome): value is HeldSession {
  return 'id' in value;
}

/** PUT ?acquire; an "invalid session" answer recreates the session and retries once. */
async function acquireWith(context: LockContext, session: HeldSession, deadline: number): Promise<LockOutcome> {
  let current = session;
  for (let attempt = 0; attempt < 2; attempt++) {
    const result = await putKv(context.client, context.kv, context.leaderKey, context.name, { acquire: current.id }, deadline);
    if (result.ok && result.applied) {
      context.onHeld(current.id);
      return { kind: 'held', renewedAtMs: current.renewedAtMs };
    }
    if (result.ok) return lostTo(context, deadline);
    if (!result.invalidSession || attempt > 0) return unreachable(`acquire leader key: ${result.message}`);
    context.client.logger.warn({ session: current.id }, 'consul answered invalid session on acquire; recreating the session');
    context.session.forget();
    const fresh = await sessionWithin(context, true, deadline);
    if (!isSession(fresh)) return fresh;
    current = fresh;
  }
  return unreachable('acquire leader key: no attempt left');
}

export async function acquireLeader(context: LockContext): Promise<LockOutcome> {
  const deadline = context.client.clock() + context.client.retryTimeoutMs();
  const session = await sessionWithin(context, false, deadline);
  if (!isSession(session)) return session;
  return acquireWith(context, session, deadline);
}

/** Force-renew the session, then confirm the key is ours; re-lock it when it is ours by name only, or absent. */
export async function updateLeader(context: LockContext, deadline: number): Promise<LockOutcome> {
  const session = await sessionWithin(context, true, deadline);
  if (!isSession(session)) return session;
  const read = await readLeader(context, deadline);
  if (!read.ok) return unreachable(`read leader key: ${read.message}`);
  const entry = read.entry;
  if (entry !== undefined && entry.value !== context.name) return entry.value === '' ? { kind: 'lost' } : { kind: 'lost', owner: entry.value };
  if (entry?.session === session.id) {
    context.onHeld(session.id);
    return { kind: 'held', renewedAtMs: session.renewedAtMs };
  }
  if (entry !== undefined) {
    // Our name on another (older) session: replace it only if nobody changed it meanwhile.
    const removed = await deleteKv(context.client, context.kv, context.leaderKey, { cas: entry.modifyIndex }, deadline);
    if (!removed.ok) return unreachable(`delete stale leader key: ${removed.message}`);
    if (!removed.applied) return lostTo(context, deadline);
  }
  return acquireWith(context, session, deadline);
}

/** Write the key even when another member holds it (once, after bootstrap). */
export async function takeLeader(context: LockContext): Promise<LockOutcome> {
  const deadline = context.client.clock() + context.client.retryTimeoutMs();
  const session = await sessionWithin(context, true, deadline);
  if (!isSession(session)) return session;
  const read = await readLeader(context, deadline);
  if (!read.ok) return unreachable(`read leader key: ${read.message}`);
  if (read.entry !== undefined && read.entry.session !== session.id) {
    const removed = await deleteKv(context.client, context.kv, context.leaderKey, { cas: read.entry.modifyIndex }, deadline);
    if (!removed.ok) return unreachable(`delete leader key: ${removed.message}`);
  }
  return acquireWith(context, session, deadline);
}

/** Delete the key only if its value is our name (CAS on its ModifyIndex): not-found when absent, conflict when another's. */
export async function deleteLeaderKey(context: LockContext, deadline: number): Promise<DcsResult<void>> {
  const read = await readLeader(context, deadline);
  if (!read.ok) return { ok: false, reason: 'unreachable', message: `read leader key: ${read.message}` };
  if (read.entry === undefined) return { ok: false, reason: 'not-found', message: 'the leader key does not exist' };
  if (read.entry.value !== context.name) {
    return { ok: false, reason: 'conflict', message: `the leader key belongs to ${JSON.stringify(read.entry.value)}, not to us` };
  }
  const removed = await deleteKv(context.client, context.kv, context.leaderKey, { cas: read.entry.modifyIndex }, deadline);
  if (!removed.ok) return { ok: false, reason: 'unreachable', message: `delete leader key: ${removed.message}` };
  if (!removed.applied) return { ok: false, reason: 'conflict', message: 'the leader key changed while it was being deleted' };
  return { ok: true, value: undefined };
}
