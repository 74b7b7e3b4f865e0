/**
 * `members/<name>` on our session (spec/dcs.md §4.2): compact JSON exactly as
 * Patroni writes it; skipped when unchanged on the same session; a key left
 * on another session (an earlier process of ours, or our session recreated)
 * is deleted first, with CAS so a concurrent writer is not overrun; an
 * "invalid session" answer recreates the session and retries once.
 */
import { toPatroniJson, type DcsResult, type MemberData } from '@pgwarden/core';
import type { ClientContext } from './client.js';
import { deleteKv, putKv, readKv, type KvEntry, type KvSettings } from './kv.js';
import type { SessionKeeper } from './session.js';

export interface MemberKeyState {
  /** What we last wrote, and on which session. */
  lastWritten: { value: string; session: string } | undefined;
  /** Our member key as last read from Consul. */
  known: KvEntry | undefined;
}

export interface MemberKeyContext {
  readonly client: ClientContext;
  readonly kv: KvSettings;
  readonly session: SessionKeeper;
  readonly key: string;
}

const unreachable = (message: string): DcsResult<void> => ({ ok: false, reason: 'unreachable', message: `touch member: ${message}` });

export async function touchMemberKey(context: MemberKeyContext, state: MemberKeyState, data: MemberData, deadline: number): Promise<DcsResult<void>> {
  const value = toPatroniJson(data);
  const ensured = await context.session.ensure(false, deadline);
  if (!ensured.ok) return unreachable(ensured.message);
  let sessionId = ensured.session.id;
  if (state.lastWritten?.value === value && state.lastWritten.session === sessionId && !ensured.session.created) return { ok: true, value: undefined };
  for (let attempt = 0; attempt < 2; attempt++) {
    const stale = state.known;
    if (stale?.session !== undefined && stale.session !== sessionId) {
      const removed = await deleteKv(context.client, context.kv, context.key, { cas: stale.modifyIndex }, deadline);
      if (!removed.ok) return unreachable(`delete stale key: ${removed.message}`);
    }
    const result = await putKv(context.client, context.kv, context.key, value, { acquire: sessionId }, deadline);
    if (!result.ok && result.invalidSession && attempt === 0) {
      context.client.logger.warn({ session: sessionId }, 'our session disappeared from Consul; creating a new one for the member key');
      context.session.forget();
      const fresh = await context.session.ensure(true, deadline);
      if (!fresh.ok) return unreachable(fresh.message);
      sessionId = fresh.session.id;
      continue;
    }
    if (!result.ok) return unreachable(result.message);
    if (result.applied) {
      state.lastWritten = { value, session: sessionId };
      state.known = undefined;
      return { ok: true, value: undefined };
    }
    // Locked by another session we did not know about: learn it and retry once.
    const read = await readKv(context.client, context.kv, context.key, { recurse: false, consistency: 'consistent' }, deadline);
    if (!read.ok) return unreachable(read.message);
    state.known = read.entries[0];
  }
  return { ok: false, reason: 'conflict', message: 'touch member: the member key is held by another session' };
}
