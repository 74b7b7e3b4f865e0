/**
 * The leader lock over ZooKeeper: `leader` is an ephemeral znode holding our
 * name, owned by our session, so it disappears when the session expires —
 * `session timeout` after the server last heard from us.
 *
 * - acquire: create the ephemeral znode (create fails if it exists); if it
 *   exists and is ours (same session) it is held, else lost to its owner;
 * - update: one `getData` of the leader znode, which both renews the session
 *   and shows the owner: ours → held; absent → re-created (the session
 *   expired with nobody taking over), but never after we deleted it ourselves
 *   (a refresh racing a voluntary release must not undo it) → lost;
 *   our name on another session (an earlier session of ours) → deleted and
 *   re-created (Patroni's "ownership mismatch"); another name → lost;
 * - take: delete whatever is there, create ours;
 * - delete: only if its value is our name (data-version checked).
 *
 * `renewedAtMs` is the send time of the newest request the server answered
 * on our session, moved back by how much shorter the granted session timeout
 * is than ttl: the lock cannot vanish before `renewedAtMs + ttl` unless the
 * session was closed on purpose (README, "Why renewedAtMs is safe").
 */
import type { DcsResult, LockOutcome } from '@pgwarden/core';
import { fail, ok, type ZkContext } from './context.js';
import { describe } from './zk-connection.js';

const lost = (owner: string | undefined): LockOutcome => (owner ? { kind: 'lost', owner } : { kind: 'lost' });

function unreachable(context: ZkContext, operation: string, error: unknown): LockOutcome {
  const message = `${operation}: ${describe(error)}`;
  context.logger.warn({ operation, error: describe(error) }, 'zookeeper operation failed');
  return { kind: 'unreachable', message };
}

/** The lower bound of the session's life that the core adds ttl to. */
export function heldNow(context: ZkContext): LockOutcome {
  const sent = context.connection.lastAnsweredSendMs;
  if (sent === undefined) return { kind: 'unreachable', message: 'no answered request on the current session' };
  const shortfallMs = Math.max(0, context.timings().ttlSeconds * 1000 - context.connection.negotiatedTimeoutMs());
  return { kind: 'held', renewedAtMs: sent - shortfallMs };
}

/** Patroni refuses to start a lock write with less than 1 s of the budget left (spec/dcs.md §3.6). */
function hasBudget(context: ZkContext, deadline: number): boolean {
  return deadline - performance.now() >= Math.min(1000, (context.timings().retryTimeoutSeconds * 1000) / 3);
}

/** Create our ephemeral leader znode; if it exists, report who holds it. */
async function createLeader(context: ZkContext, deadline: number): Promise<LockOutcome> {
  const { znodes, keys, name, reader } = context;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (!hasBudget(context, deadline)) return { kind: 'unreachable', message: 'not enough of retry_timeout left to write the leader key' };
    const created = await znodes.create(keys.leader, name, deadline, { ephemeral: true });
    if (created.ok) {
      reader.noteLeader(name);
      context.lock.released = false;
      return heldNow(context);
    }
    const current = await znodes.getData(keys.leader, deadline);
    if (!current.ok) continue; // vanished between the two requests: try once more
    reader.remember(keys.leader, current.value.stat);
    const session = context.connection.sessionId();
    if (current.value.value === name && current.value.stat.owner === session) return heldNow(context);
    return lost(current.value.value);
  }
  return lost(undefined);
}

export async function acquireLeader(context: ZkContext): Promise<LockOutcome> {
  try {
    return await createLeader(context, context.deadline());
  } catch (error) {
    return unreachable(context, 'acquire leader lock', error);
  }
}

export async function updateLeader(context: ZkContext): Promise<LockOutcome> {
  const { znodes, keys, name } = context;
  const deadline = context.deadline();
  try {
    const current = await znodes.getData(keys.leader, deadline);
    if (!current.ok) return context.lock.released ? lost(undefined) : await createLeader(context, deadline);
    context.reader.remember(keys.leader, current.value.stat);
    if (current.value.stat.owner !== undefined && current.value.stat.owner === context.connection.sessionId()) return heldNow(context);
    if (current.value.value !== name) return lost(current.value.value);
    context.logger.warn({ owner: current.value.stat.owner }, 'recreating the leader znode: it holds our name on another session');
    const removed = await znodes.remove(keys.leader, deadline, current.value.stat.dataVersion);
    if (!removed.ok && removed.refusal !== 'no-node') return lost(undefined);
    return await createLeader(context, deadline);
  } catch (error) {
    return unreachable(context, 'update leader lock', error);
  }
}

export async function takeLeader(context: ZkContext): Promise<LockOutcome> {
  const deadline = context.deadline();
  try {
    const removed = await context.znodes.remove(context.keys.leader, deadline);
    if (!removed.ok && removed.refusal !== 'no-node') return lost(undefined);
    return await createLeader(context, deadline);
  } catch (error) {
    return unreachable(context, 'take leader lock', error);
  }
}

/** Delete the leader znode only if it holds our name: not-found when absent, conflict when another's. */
export async function deleteLeaderKey(context: ZkContext, deadline: number): Promise<DcsResult<void>> {
  const { znodes, keys, name } = context;
  try {
    const current = await znodes.getData(keys.leader, deadline);
    if (!current.ok) return fail('not-found', 'the leader key does not exist');
    if (current.value.value !== name) return fail('conflict', `the leader key belongs to ${JSON.stringify(current.value.value)}, not to us`);
    // Marked before the request: a refresh answered after the delete must not re-create the znode.
    context.lock.released = true;
    const removed = await znodes.remove(keys.leader, deadline, current.value.stat.dataVersion).catch((error: unknown) => {
      context.lock.released = false;
      throw error;
    });
    if (!removed.ok) {
      context.lock.released = removed.refusal === 'no-node';
      return removed.refusal === 'no-node' ? fail('not-found', 'the leader key does not exist') : fail('conflict', 'the leader key changed meanwhile');
    }
    context.reader.noteLeader(undefined);
    context.reader.remember(keys.leader, undefined);
    return ok();
  } catch (error) {
    context.logger.warn({ error: describe(error) }, 'zookeeper: delete leader lock failed');
    return fail('unreachable', `delete leader lock: ${describe(error)}`);
  }
}
