/**
 * The leader lock (spec/dcs.md §3.4). The key `leader` holds our name and is
 * bound to our lease, so it disappears ttl seconds after our last successful
 * keepalive unless we refresh it.
 *
 * - acquire: only by a transaction `CREATE(leader) == 0` (create-if-absent);
 * - update: a forced keepalive; if the leader key is ours on our lease
 *   (watch cache) that keepalive *is* the refresh; otherwise rewrite the key
 *   only if its value is still our name, or recreate it if it is absent;
 * - delete: only if its value is our name.
 *
 * `renewedAtMs` is the send time of the keepalive/grant that last extended
 * the lease the key is on (never the time of the answer), so the core's
 * `renewedAtMs + ttl` never outlives the key in etcd.
 */
import type { LockOutcome, UpdateLeaderInput } from '@pgwarden/core';
import { describeError } from './errors.js';
import { fail, ok, unreachable, type DcsContext } from './context.js';
import type { DcsResult } from '@pgwarden/core';
import { deleteOp, keyAbsent, nestedTxn, putOp, putRequest, rangeOp, rangedLease, rangedValue, revisionOf, valueIs } from './requests.js';
import { EtcdRequestError } from './transport.js';
import type { LeaseState } from './lease.js';

const held = (renewedAtMs: number): LockOutcome => ({ kind: 'held', renewedAtMs });
const lost = (owner: string | undefined): LockOutcome => (owner ? { kind: 'lost', owner } : { kind: 'lost' });

function lockUnreachable(context: DcsContext, operation: string, error: unknown): LockOutcome {
  return { kind: 'unreachable', message: unreachable(context, operation, error).message };
}

/** Patroni refuses to start a lock write with less than 1 s of the budget left (§3.6). */
function ensureBudget(context: DcsContext, deadline: number): void {
  const minimum = Math.min(1000, (context.timings().retryTimeoutSeconds * 1000) / 3);
  if (deadline - performance.now() < minimum) {
    throw new EtcdRequestError('not enough of retry_timeout left to write the leader key', 'deadline');
  }
}

async function createLeaderKey(context: DcsContext, lease: LeaseState, deadline: number): Promise<LockOutcome> {
  const { keys, name } = context;
  const response = await context.transport.run('txn', deadline, (client, attempt) =>
    client.txn({ compare: [keyAbsent(keys.leader)], success: [putOp(keys.leader, name, lease.id)], failure: [rangeOp(keys.leader)] }, attempt),
  );
  if (response.succeeded) {
    context.cache.applyWrite(keys.leader, name, revisionOf(response), lease.id);
    return held(lease.renewedAtMs);
  }
  const owner = rangedValue(response.responses[0]);
  // Asked again while already holding it (same name, same live lease): still ours.
  if (owner === name && rangedLease(response.responses[0]) === lease.id) return held(lease.renewedAtMs);
  return lost(owner);
}

export async function acquireLeader(context: DcsContext): Promise<LockOutcome> {
  const deadline = context.deadline();
  try {
    let lease = await context.lease.refresh(false, deadline);
    try {
      ensureBudget(context, deadline);
      return await createLeaderKey(context, lease, deadline);
    } catch (error) {
      if (!(error instanceof EtcdRequestError) || error.kind !== 'lease-gone') throw error;
      // Our lease expired behind our back: take a new one and try once more.
      context.lease.forget();
      lease = await context.lease.refresh(true, deadline);
      ensureBudget(context, deadline);
      return await createLeaderKey(context, lease, deadline);
    }
  } catch (error) {
    return lockUnreachable(context, 'acquire leader lock', error);
  }
}

/** Rewrite the leader key on our (possibly new) lease if it is still ours, or recreate it if absent. */
async function rewriteLeaderKey(context: DcsContext, lease: LeaseState, deadline: number): Promise<LockOutcome> {
  const { keys, name } = context;
  const response = await context.transport.run('txn', deadline, (client, attempt) =>
    client.txn(
      {
        compare: [valueIs(keys.leader, name)],
        success: [putOp(keys.leader, name, lease.id)],
        failure: [
          {
            request_txn: {
              compare: [keyAbsent(keys.leader)],
              success: [putOp(keys.leader, name, lease.id)],
              failure: [rangeOp(keys.leader)],
            },
          },
        ],
      },
      attempt,
    ),
  );
  const inner = nestedTxn(response.responses[0]);
  if (response.succeeded || inner?.succeeded === true) {
    context.cache.applyWrite(keys.leader, name, revisionOf(response), lease.id);
    return held(lease.renewedAtMs);
  }
  return lost(rangedValue(inner?.responses[0]));
}

/** `writeAfter` publishes /status and /failsafe within what is left of the same budget. */
export async function updateLeader(
  context: DcsContext,
  input: UpdateLeaderInput,
  writeAfter: (input: UpdateLeaderInput, deadline: number) => Promise<void>,
): Promise<LockOutcome> {
  const deadline = context.deadline();
  let outcome: LockOutcome;
  try {
    const lease = await context.lease.refresh(true, deadline);
    const cached = context.cache.ready ? context.cache.get(context.keys.leader) : undefined;
    if (cached !== undefined && cached.value === context.name && cached.lease === lease.id) {
      outcome = held(lease.renewedAtMs);
    } else {
      ensureBudget(context, deadline);
      outcome = await rewriteLeaderKey(context, lease, deadline);
    }
  } catch (error) {
    return lockUnreachable(context, 'update leader lock', error);
  }
  if (outcome.kind === 'held') await writeAfter(input, deadline);
  else context.logger.warn({ owner: outcome.kind === 'lost' ? outcome.owner : undefined }, 'leader lock is no longer ours');
  return outcome;
}

export async function takeLeader(context: DcsContext): Promise<LockOutcome> {
  const deadline = context.deadline();
  try {
    const lease = await context.lease.refresh(false, deadline);
    const response = await context.transport.run('put', deadline, (client, attempt) =>
      client.put(putRequest(context.keys.leader, context.name, lease.id), attempt),
    );
    context.cache.applyWrite(context.keys.leader, context.name, revisionOf(response), lease.id);
    return held(lease.renewedAtMs);
  } catch (error) {
    return lockUnreachable(context, 'take leader lock', error);
  }
}

/** Delete the leader key only if its value is our name: not-found when absent, conflict when another's. */
export async function deleteLeaderKey(context: DcsContext, deadline = context.deadline()): Promise<DcsResult<void>> {
  const { keys, name } = context;
  try {
    const response = await context.transport.run('txn', deadline, (client, attempt) =>
      client.txn({ compare: [valueIs(keys.leader, name)], success: [deleteOp(keys.leader)], failure: [rangeOp(keys.leader)] }, attempt),
    );
    if (response.succeeded) {
      context.cache.applyWrite(keys.leader, undefined, revisionOf(response));
      return ok();
    }
    return deleteRefused(rangedValue(response.responses[0]));
  } catch (error) {
    return unreachable(context, 'delete leader lock', error);
  }
}

/** Why a delete guarded by `VALUE==name` did not happen: `owner` as read in the txn's failure branch. */
export function deleteRefused(owner: string | undefined): DcsResult<void> {
  return owner === undefined
    ? fail('not-found', 'the leader key does not exist')
    : fail('conflict', `the leader key belongs to ${JSON.stringify(owner)}, not to us`);
}

