/**
 * Shutdown on SIGTERM/SIGINT (spec/ha-loop.md §14). Paused: PostgreSQL keeps
 * running and the keys stay (the operator is in charge). Otherwise stop
 * PostgreSQL cleanly; a leader then deletes its key with the shutdown
 * checkpoint LSN in `/status`, so a replica takes over at once instead of
 * waiting for the lease to expire, and measures its lag against the final
 * position. If PostgreSQL could not be stopped, the key is kept: releasing
 * it would let a replica promote beside a live primary.
 */
import type { Dcs, LocalPostgres, MemberData } from '@pgwarden/core';
import type { AgentLogger } from '../logger.js';
import type { CallbackPort, PostgresPort, WatchdogPort } from '../ports.js';
import { describeError } from './background-slot.js';
import { cleanShutdownLsn, releaseLeaderKey, standbyShutDown } from './release.js';

export interface ShutdownContext {
  readonly dcs: Dcs;
  readonly postgres: PostgresPort;
  readonly watchdog: WatchdogPort;
  readonly callbacks: CallbackPort;
  readonly logger: AgentLogger;
  readonly paused: boolean;
  readonly holdsLock: boolean;
  /** `primary_stop_timeout` when it applies (synchronous mode), else the stop's usual bound. */
  readonly stopTimeoutSeconds?: number;
  memberData(local: LocalPostgres): Promise<MemberData>;
  /** The REST API shows `local` (PostgreSQL stopped) from now on: it answers until the agent exits. */
  showLocal(local: LocalPostgres): void;
}

export async function shutdownAgent(context: ShutdownContext): Promise<void> {
  const { dcs, postgres, logger } = context;
  if (context.paused) {
    await context.watchdog.disable().catch(() => undefined);
    logger.warn({}, 'Leader key is not deleted and Postgresql is not stopped due paused state');
    await closeAll(context);
    return;
  }
  let stopped = false;
  try {
    await postgres.stop({ mode: 'fast', ...(context.stopTimeoutSeconds === undefined ? {} : { timeoutSeconds: context.stopTimeoutSeconds }) });
    stopped = true;
    context.callbacks.run('on_stop', context.holdsLock ? 'primary' : 'replica');
  } catch (error) {
    logger.error({ error: describeError(error) }, 'could not stop PostgreSQL; keeping the leader key');
  }
  if (stopped) {
    await context.watchdog.disable().catch(() => undefined);
    const local = await postgres.observe().catch(() => undefined);
    // The members racing for the key ask our REST API, which answers until we exit, whether we
    // still run as primary: the last cycle's view said so, and the candidate waited a loop_wait.
    if (local !== undefined) context.showLocal(local);
    // The member key before the release: replicas racing for the released key read a
    // member key that still says "running primary" as a live primary and do not take over.
    const member = local === undefined ? undefined : await context.memberData(local);
    if (!context.holdsLock && member !== undefined) await dcs.touchMember(member).catch(() => undefined);
    if (context.holdsLock) {
      const lastLsn = cleanShutdownLsn(local);
      if (lastLsn === undefined && !standbyShutDown(local)) logger.warn({ controlState: local?.controlState }, 'PostgreSQL did not shut down cleanly; releasing the leader key without a final position');
      const released = await releaseLeaderKey(dcs, logger, { lastLsn, member }).then(
        (outcome) => outcome.leader,
        (error: unknown) => ({ ok: false as const, reason: 'unreachable' as const, message: describeError(error) }),
      );
      if (released.ok) logger.info({ lastLsn }, 'leader key released at shutdown');
      else logger.warn({ error: released.message }, 'could not release the leader key at shutdown');
    }
  }
  await closeAll(context);
}

async function closeAll(context: ShutdownContext): Promise<void> {
  await context.callbacks.close().catch(() => undefined);
  await context.postgres.close().catch(() => undefined);
  await context.dcs.close().catch(() => undefined);
}
