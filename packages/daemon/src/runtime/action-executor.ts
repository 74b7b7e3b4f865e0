/**
 * Maps each `Action` of decide() to adapter calls. One action, one outcome:
 * `ok`, or a message that names what failed. The DCS adapters never throw
 * for expected failures (they return outcomes); PostgreSQL adapters reject,
 * and the rejection becomes the outcome here — never an unhandled error.
 *
 * Invariant: a lock that the DCS did not confirm is never reported as held,
 * and a member whose watchdog is required but unusable never takes the lock
 * (spec/ha-loop.md §15), whatever decide() asked for.
 */
import { FENCE_BUDGET_MS, isPgwardenError, PRE_PROMOTE_FAILED, type Action, type ActionFailureCause, type Dcs, type DemoteMode, type DcsResult, type FollowTarget, type HaSettings, type LocalPostgres, type LockOutcome, type MemberData } from '@pgwarden/core';
import type { AgentLogger } from '../logger.js';
import type { CallbackPort, Clock, PostgresPort, WatchdogPort } from '../ports.js';
import { describeError } from './background-slot.js';
import { cleanShutdownLsn, releaseLeaderKey, standbyShutDown } from './release.js';
import { primaryStopTimeoutSeconds } from './stop-timeout.js';

export type ActionOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly message: string; readonly kind?: 'lost' | 'unreachable'; readonly cause?: ActionFailureCause };

/**
 * Orders the cycle's writes of the leader and member keys against a
 * demotion's release of the leader key. A demotion runs in the background
 * while cycles keep renewing the key; an update-lock that landed after the
 * release found the key absent and re-created it (that is what update does,
 * as Patroni's), so the old leader held the lock again, the switchover
 * candidate lost its race, and the old primary — already restarting as a
 * replica — promoted itself back (seen: a switchover that took 6 s instead of
 * 0.5). Likewise a member key observed before the stop ("running primary")
 * must not overwrite the "stopped" one the demotion publishes before the
 * release: the racing members would take it for a live primary. Once a
 * release begins no such write starts until the demotion is over, and the
 * release waits for the one in flight.
 */
export class LeaderKeyGate {
  private releasing = false;
  private inFlight: Promise<unknown> = Promise.resolve();

  /** Runs one of the cycle's key writes unless a release has begun; undefined when skipped. */
  cycleWrite<T>(write: () => Promise<T>): Promise<T> | undefined {
    if (this.releasing) return undefined;
    const running = write();
    const settled = running.catch(() => undefined);
    const previous = this.inFlight;
    this.inFlight = Promise.all([previous, settled]);
    return running;
  }

  /** No cycle write starts from now on; resolves when those in flight have settled. */
  async beginRelease(): Promise<void> {
    this.releasing = true;
    await this.inFlight;
  }

  /** The demotion is over: the cycle writes again. */
  endRelease(): void {
    this.releasing = false;
  }
}

export interface ExecutorContext {
  readonly postgres: PostgresPort;
  readonly leaderKey: LeaderKeyGate;
  readonly dcs: Dcs;
  readonly watchdog: WatchdogPort;
  readonly callbacks: CallbackPort;
  readonly logger: AgentLogger;
  readonly clock: Clock;
  settings(): HaSettings;
  /**
   * An action changed PostgreSQL under the cycle (a demotion stopped it): the
   * REST API shows `local` from now on, before the key is released — the
   * members racing for it ask us whether we still run as primary.
   */
  showLocal(local: LocalPostgres): void;
  /** The member key content to publish now (for `local` when given, else the last observed state). */
  memberData(local?: LocalPostgres): Promise<MemberData>;
  /** The DCS confirmed that we hold the leader lock, as of `renewedAtMs`. */
  onLockHeld(renewedAtMs: number): void;
  /** We no longer hold the lock (lost, released or demoted). */
  onLockGone(): void;
  /**
   * The earliest moment (runtime clock) the DCS may hand our leader key to
   * another member: the last confirmed renewal's send time plus ttl;
   * undefined when we hold no lock (lost, or never held).
   */
  lockExpiresAtMs(): number | undefined;
  /**
   * Whether PostgreSQL may be made writable now (Leadership.writableAllowed):
   * never once the lock's validity by our clock has run out; `requireLock`
   * (a promotion) also needs the lock held.
   */
  writableAllowed(requireLock: boolean): boolean;
  /** decide() asked the process to exit. */
  requestExit(code: number, reason: string): void;
}

const ok: ActionOutcome = { ok: true };

const LAPSED = (what: string): string => `${what}: not started, the leader lock is not ours by our clock (its validity ran out, or it is not held)`;

function fail(message: string): ActionOutcome {
  return { ok: false, message };
}

function fromDcs(result: DcsResult<unknown>, what: string): ActionOutcome {
  return result.ok ? ok : fail(`${what}: ${result.reason}: ${result.message}`);
}

/**
 * The renewal counts from the earlier of the adapter's send time and ours
 * (both on the runtime's monotonic clock): an adapter that reuses a lease
 * kept alive earlier reports that earlier time, and one that retried
 * internally cannot make the lock look younger than the request we made.
 */
async function lockAction(context: ExecutorContext, what: string, request: () => Promise<LockOutcome>, onHeld?: () => Promise<void>): Promise<ActionOutcome> {
  const sentAtMs = context.clock.nowMs();
  const outcome = await request();
  if (outcome.kind === 'held') {
    context.onLockHeld(Math.min(sentAtMs, outcome.renewedAtMs));
    await onHeld?.();
    return ok;
  }
  if (outcome.kind === 'lost') {
    context.onLockGone();
    return { ok: false, kind: 'lost', message: `${what}: the leader key is ${outcome.owner !== undefined ? `owned by ${outcome.owner}` : 'not ours'}` };
  }
  return { ok: false, kind: 'unreachable', message: `${what}: DCS unreachable: ${outcome.message}` };
}

/** `signal`: the background job was cancelled (preempted or shutdown); long PostgreSQL work stops at its next step. */
export async function executeAction(context: ExecutorContext, action: Action, signal?: AbortSignal): Promise<ActionOutcome> {
  try {
    return await dispatch(context, action, signal);
  } catch (error) {
    return fail(`${action.type} failed: ${describeError(error)}`);
  }
}

async function dispatch(context: ExecutorContext, action: Action, signal: AbortSignal | undefined): Promise<ActionOutcome> {
  const { dcs } = context;
  switch (action.type) {
    case 'acquire-lock':
    case 'take-lock':
      if (!context.watchdog.usable) return fail('watchdog is required but not usable: not taking the leader lock');
      return lockAction(context, action.type, () => (action.type === 'acquire-lock' ? dcs.acquireLeader() : dcs.takeLeader()));
    case 'update-lock': {
      const renewal = context.leaderKey.cycleWrite(() =>
        lockAction(
          context,
          'update-lock',
          () => dcs.updateLeader({ lastLsn: action.lastLsn, slots: action.slots, retainSlots: action.retainSlots, failsafe: action.failsafe }),
          () => context.watchdog.keepalive(),
        ),
      );
      // A demotion is releasing the key: nothing to renew.
      return renewal ?? ok;
    }
    case 'release-lock': {
      // Our state first (a postmaster that died or was stopped: "stopped"), so that the members
      // racing for the released key do not read last cycle's "running primary" (see demote()).
      const { leader } = await releaseLeaderKey(dcs, context.logger, { lastLsn: action.lastLsn, member: await context.memberData() });
      if (leader.ok) context.onLockGone();
      return fromDcs(leader, 'release-lock');
    }
    case 'write-initialize':
      return fromDcs(await dcs.initialize({ createNew: action.createNew, sysid: action.sysid }), 'write-initialize');
    case 'cancel-initialize':
      return fromDcs(await dcs.cancelInitialization(), 'cancel-initialize');
    case 'write-config':
      return fromDcs(await dcs.setConfig(action.value, action.version), 'write-config');
    case 'write-failover':
      return fromDcs(await dcs.setFailover(action.value, action.version), 'write-failover');
    case 'clear-failover':
      return fromDcs(await dcs.setFailover({}, action.version), 'clear-failover');
    case 'write-sync':
      return fromDcs(await dcs.writeSyncState(action.leader, action.standbys, action.version, action.quorum), 'write-sync');
    case 'delete-sync':
      return fromDcs(await dcs.deleteSyncState(action.version), 'delete-sync');
    case 'write-history':
      return fromDcs(await dcs.setHistory(action.lines), 'write-history');
    case 'touch-member':
      return fromDcs(await dcs.touchMember(await context.memberData()), 'touch-member');
    case 'fetch-peer-status':
    case 'failsafe-check':
    case 'fetch-leader-history':
      return fail(`${action.type} is answered by the cycle, not executed`);
    case 'watchdog':
      await context.watchdog[action.op]();
      return ok;
    case 'exit':
      context.requestExit(action.code, action.reason);
      return ok;
    default:
      return dispatchPostgres(context, action, signal);
  }
}

async function dispatchPostgres(context: ExecutorContext, action: Action, signal: AbortSignal | undefined): Promise<ActionOutcome> {
  const { postgres, callbacks } = context;
  switch (action.type) {
    case 'bootstrap':
      await postgres.bootstrap({ signal });
      return ok;
    case 'create-replica':
      await postgres.createReplica(action.source, { signal });
      return ok;
    case 'start':
      if (action.asPrimary && !context.writableAllowed(false)) return fail(LAPSED('start as primary'));
      await postgres.start({ asPrimary: action.asPrimary, follow: action.follow, timeoutSeconds: action.timeoutSeconds });
      callbacks.run('on_start', action.asPrimary ? 'primary' : 'replica');
      return ok;
    case 'stop':
      await postgres.stop({ mode: action.mode, timeoutSeconds: action.timeoutSeconds });
      callbacks.run('on_stop', await currentRole(postgres));
      return ok;
    case 'restart':
      await postgres.restart({ timeoutSeconds: action.timeoutSeconds });
      callbacks.run('on_restart', await currentRole(postgres));
      return ok;
    case 'reload':
      await postgres.reload();
      callbacks.run('on_reload', await currentRole(postgres));
      return ok;
    case 'promote':
      if (!context.writableAllowed(true)) return fail(LAPSED('promote'));
      try {
        await postgres.promote({
          waitSeconds: context.settings().loopWaitSeconds,
          ...(signal === undefined ? {} : { signal }),
          ...(action.skipTimelinesThrough === undefined ? {} : { skipTimelinesThrough: action.skipTimelinesThrough }),
        });
      } catch (error) {
        // The refusal is decide()'s input (it gives the lock up), not a failure like any other.
        if (isPgwardenError(error, PRE_PROMOTE_FAILED)) return { ok: false, message: error.message, cause: 'pre-promote-failed' };
        throw error;
      }
      callbacks.run('on_role_change', 'primary');
      return ok;
    case 'demote':
      return demote(context, action.mode, action.follow, action.handOverTo);
    case 'follow':
      await postgres.follow(action.target);
      return ok;
    case 'rewind':
      await postgres.rewind(action.source, { signal });
      return ok;
    case 'reinitialize':
      await postgres.reinitialize(action.source, { signal });
      return ok;
    case 'crash-recovery':
      await postgres.crashRecovery();
      return ok;
    case 'checkpoint':
      await postgres.checkpoint();
      return ok;
    case 'set-synchronous-standby-names':
      await postgres.setSynchronousStandbyNames(action.value);
      return ok;
    case 'sync-slots': {
      const outcome = await postgres.syncReplicationSlots?.(action);
      if (outcome !== undefined && (outcome.created.length > 0 || outcome.dropped.length > 0)) {
        context.logger.info({ created: outcome.created, dropped: outcome.dropped }, 'replication slots synchronised');
      }
      if (outcome?.advanced !== undefined && outcome.advanced.length > 0) context.logger.debug({ advanced: outcome.advanced }, 'replication slots advanced');
      return ok;
    }
    case 'copy-logical-slots': {
      if (postgres.copyLogicalSlots === undefined) return fail('copy-logical-slots: this PostgreSQL port cannot copy slots');
      const copied = await postgres.copyLogicalSlots(action.slots, action.source);
      if (copied.length > 0) {
        // A stop and a start of PostgreSQL, as Patroni's copy does them.
        callbacks.run('on_stop', 'replica');
        callbacks.run('on_start', 'replica');
      }
      return ok;
    }
    case 'remove-data-directory':
      await postgres.removeDataDirectory({ rename: action.rename });
      return ok;
    default:
      return fail(`unknown action ${action.type}`);
  }
}

async function currentRole(postgres: PostgresPort): Promise<string> {
  try {
    const local = await postgres.observe();
    if (!local.running) return local.hasRecoveryConfig ? 'replica' : 'demoted';
    return local.inRecovery ? 'replica' : 'primary';
  } catch {
    return 'unknown';
  }
}

/**
 * What the CHECKPOINT and before_stop of a demotion may take: the time left
 * until the leader key can expire at the DCS, less the fence budget the stop
 * itself needs to make PostgreSQL refuse writes. Nothing when the lock is
 * already gone (another member may be primary now): the postmaster is
 * signalled at once. Beyond Patroni, which waits for before_stop unbounded.
 */
function preStopBudgetMs(context: ExecutorContext): number {
  const expiresAtMs = context.lockExpiresAtMs();
  if (expiresAtMs === undefined) return 0;
  return Math.max(0, Math.floor(expiresAtMs - context.clock.nowMs() - FENCE_BUDGET_MS));
}

/**
 * spec/ha-loop.md §13. The watchdog is disabled before the stop (no user
 * backend can write once the postmaster is told to stop); the key is
 * released after the stop with the shutdown checkpoint LSN for `graceful`,
 * so the racing replicas measure their lag against the final position.
 */
async function demote(context: ExecutorContext, mode: DemoteMode, follow: FollowTarget | undefined, handOverTo: string | undefined): Promise<ActionOutcome> {
  await context.watchdog.disable();
  try {
    return await stopAndRelease(context, mode, follow, handOverTo);
  } finally {
    context.leaderKey.endRelease();
  }
}

async function stopAndRelease(context: ExecutorContext, mode: DemoteMode, follow: FollowTarget | undefined, handOverTo: string | undefined): Promise<ActionOutcome> {
  const { postgres, dcs, logger } = context;
  const startedAt = performance.now();
  const graceful = mode === 'graceful';
  const timeoutSeconds = primaryStopTimeoutSeconds(context.settings());
  await postgres.stop({
    mode: graceful || mode === 'offline' ? 'fast' : 'immediate',
    checkpoint: graceful,
    preStopBudgetMs: preStopBudgetMs(context),
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
  });
  if (graceful || mode === 'immediate') {
    const stoppedAt = performance.now();
    // No renewal or member-key write of a cycle may land after this point (LeaderKeyGate): the
    // gate closes before the observation, so that a cycle's renewal does not start during it
    // and hold the release up.
    const gate = context.leaderKey.beginRelease();
    const local = await postgres.observe().catch(() => undefined);
    const observedAt = performance.now();
    // Only a clean shutdown's checkpoint is a final position (release.ts). And only then did every
    // streaming replica, the candidate among them, receive all WAL before the postmaster exited: a
    // stop that escalated to SIGQUIT hands nothing over, the candidate races like everyone else.
    // A standby leader's clean stop publishes no position and hands over as before.
    const lastLsn = graceful ? cleanShutdownLsn(local) : undefined;
    const standby = standbyShutDown(local);
    if (graceful && lastLsn === undefined && !standby) logger.warn({ controlState: local?.controlState }, 'PostgreSQL did not shut down cleanly; releasing the leader key without a final position or a hand-over');
    if (local !== undefined) context.showLocal(local);
    await gate;
    // The member key first: until it says "stopped", the racing replicas read it as a running
    // primary and refuse to take over (takeover.ts), and they are not woken again by it — a
    // switchover then waited a whole loop_wait for the candidate's next cycle. Where the store
    // can (etcd), both in one write: the candidate is woken once and sees both.
    // A switchover's candidate is handed the key in the same write (graceful only: the shutdown
    // checkpoint went to it before the postmaster exited).
    const released = await releaseLeaderKey(dcs, logger, {
      lastLsn,
      member: local === undefined ? undefined : await context.memberData(local),
      handOverTo: lastLsn !== undefined || (graceful && standby) ? handOverTo : undefined,
    });
    const timings = { stopMs: Math.round(stoppedAt - startedAt), observeMs: Math.round(observedAt - stoppedAt), releaseMs: Math.round(performance.now() - observedAt) };
    if (released.handedOverTo !== undefined) logger.info({ lastLsn, candidate: released.handedOverTo, ...timings }, 'leader key handed over to the switchover candidate after demotion');
    else if (released.leader.ok) logger.info({ lastLsn, ...timings }, 'leader key released after demotion');
    else logger.warn({ reason: released.leader.message, ...timings }, 'could not release the leader key after demotion');
  }
  context.onLockGone();
  await postgres.start({ asPrimary: false, follow: mode === 'offline' ? undefined : follow });
  context.callbacks.run('on_role_change', 'replica');
  return ok;
}
