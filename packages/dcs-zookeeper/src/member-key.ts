/**
 * `members/<name>`: an ephemeral znode of our session holding the member
 * JSON. Unchanged data on the same session is not rewritten; but when no
 * request reached the server for loop_wait, one cheap `exists` of our member
 * znode renews the session (and notices a znode that vanished), the way the
 * etcd adapter refreshes its lease at most once per loop_wait.
 * A member znode with our name on another session is deleted and created
 * again on ours (Patroni: "Recreating the member ZNode due to ownership
 * mismatch").
 */
import type { DcsResult } from '@pgwarden/core';
import { fail, ok, unreachable, type ZkContext } from './context.js';

export interface MemberMemory {
  /** Session and value of our last successful write. */
  written?: { readonly session: string; readonly value: string };
}

async function keepAliveOrRecreate(context: ZkContext, memory: MemberMemory, deadline: number): Promise<boolean> {
  const sent = context.connection.lastAnsweredSendMs;
  const loopWaitMs = context.timings().loopWaitSeconds * 1000;
  if (sent !== undefined && context.connection.now() - sent < loopWaitMs) return true;
  const stat = await context.znodes.exists(context.keys.member(context.name), deadline);
  if (stat.ok && stat.value !== undefined && stat.value.owner === memory.written?.session) return true;
  memory.written = undefined;
  return false;
}

export async function touchMember(context: ZkContext, memory: MemberMemory, value: string): Promise<DcsResult<void>> {
  const { znodes, keys, name } = context;
  const path = keys.member(name);
  const deadline = context.deadline();
  try {
    const session = context.connection.sessionId();
    if (session !== undefined && memory.written?.session === session && memory.written.value === value) {
      if (await keepAliveOrRecreate(context, memory, deadline)) return ok();
    }
    if (session !== undefined && memory.written?.session === session) {
      const set = await znodes.setData(path, value, deadline);
      if (set.ok && set.value.owner === session) {
        memory.written = { session, value };
        return ok();
      }
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      const created = await znodes.create(path, value, deadline, { ephemeral: true });
      const now = context.connection.sessionId();
      if (created.ok && now !== undefined) {
        memory.written = { session: now, value };
        return ok();
      }
      const existing = await znodes.exists(path, deadline);
      if (existing.ok && existing.value !== undefined && existing.value.owner !== undefined && existing.value.owner === now) {
        const set = await znodes.setData(path, value, deadline);
        if (set.ok) {
          memory.written = { session: now, value };
          return ok();
        }
        continue;
      }
      context.logger.warn({ owner: existing.ok ? existing.value?.owner : undefined }, 'recreating the member znode: it belongs to another session');
      await znodes.remove(path, deadline);
    }
    return fail('conflict', 'touch member: the member znode keeps being recreated by another session');
  } catch (error) {
    return unreachable(context, 'touch member', error);
  }
}
