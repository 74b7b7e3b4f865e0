/**
 * The DCS cannot be read or written (spec/ha-loop.md §10). "Unreachable"
 * (which includes errors nobody recognised) never means "lock lost": a
 * primary keeps running while the lock it last renewed is still valid by
 * its own clock (no other member can get the key before then), then either
 * every member confirms it through the failsafe check or it demotes
 * `offline` — before the key can expire in the DCS (DESIGN invariant 1).
 */
import type { Context, Decision } from '../context.js';
import { decision, isRunningPrimary } from '../context.js';
import { isLockValid, lockValidUntilMs } from '../lock-validity.js';

const NOT_ACCESSIBLE = 'DCS is not accessible';

function demoteOffline(ctx: Context, reason: string): Decision {
  return decision(ctx, {
    ruleId: 'dcs-unreachable.demote',
    message: 'demoting self because DCS is not accessible and I was a leader',
    reason,
    actions: [{ type: 'demote', mode: 'offline' }],
    memory: { isLeader: false, failsafeActive: false, demotedFromPrimary: true },
  });
}

/** `failed`: what a round that fails decides (outside pause, demote offline). */
function failsafeCheck(ctx: Context, failed: (reason: string) => Decision = (reason) => demoteOffline(ctx, reason)): Decision {
  const known = ctx.memory.lastFailsafe;
  if (known === undefined || known[ctx.name] === undefined) {
    return failed('failsafe mode is on but /failsafe does not list us');
  }
  const others = Object.fromEntries(Object.entries(known).filter(([name]) => name !== ctx.name));
  const accepted = ctx.input.failsafeAccepted;
  if (Object.keys(others).length > 0 && accepted === undefined) {
    return decision(ctx, { ruleId: 'dcs-unreachable.failsafe-check', message: 'checking failsafe topology', actions: [{ type: 'failsafe-check', members: others }], awaiting: 'failsafe' });
  }
  const missing = Object.keys(others).filter((name) => !(accepted ?? []).includes(name));
  if (missing.length > 0) return failed(`failsafe check failed: no answer from ${missing.join(', ')}`);
  const keepalive = ctx.input.settings.watchdogMode === 'off' ? [] : [{ type: 'watchdog' as const, op: 'keepalive' as const }];
  return decision(ctx, {
    ruleId: 'dcs-unreachable.failsafe-leader',
    message: 'continue to run as a leader because failsafe mode is enabled and all members are accessible',
    actions: keepalive,
    memory: { failsafeActive: true },
  });
}

/**
 * A background action that can bring PostgreSQL up as a primary (a restart,
 * a start after a crash, crash recovery, a promotion) while we were the
 * leader: once the lock is no longer valid by our clock it must be stopped
 * before it finishes, whatever PostgreSQL looks like now — the start would
 * otherwise open a writable primary after the key expired and a replica was
 * promoted (found by the simulator: a slow restart on a black-holed link).
 */
const MAY_START_A_PRIMARY: ReadonlySet<string> = new Set(['start', 'restart', 'crash-recovery', 'promote', 'bootstrap']);

function startsPrimaryWithoutValidLock(ctx: Context): boolean {
  const running = ctx.input.running;
  if (ctx.paused || running === undefined || !MAY_START_A_PRIMARY.has(running.type)) return false;
  if (!ctx.memory.isLeader) return false;
  // No renewal on record while we believe we lead: no validity left to start a primary in.
  const until = lockValidUntilMs(ctx.input.lockRenewedAtMs, ctx.input.settings) ?? ctx.input.nowMs;
  return until - ctx.input.nowMs <= ctx.input.settings.retryTimeoutSeconds * 1000;
}

export function decideDcsUnreachable(ctx: Context, detail: string): Decision {
  const { local, settings, nowMs } = ctx.input;
  if (startsPrimaryWithoutValidLock(ctx)) {
    if (settings.failsafeMode && isRunningPrimary(ctx)) return failsafeCheck(ctx);
    return decision(ctx, {
      ruleId: 'dcs-unreachable.cancel-primary-start',
      message: 'demoting self because DCS is not accessible and I was a leader',
      reason: `${detail}; ${ctx.input.running?.name ?? 'a start'} could bring up a primary after our lock expired: cancelled`,
      actions: [{ type: 'demote', mode: 'offline' }],
      memory: { isLeader: false, failsafeActive: false, demotedFromPrimary: true },
    });
  }
  // Paused, only a primary that held the lock goes on (to the failsafe round): one running without
  // it (another member leads) has no leadership to keep.
  if (!local.running || (ctx.paused && !(isRunningPrimary(ctx) && ctx.memory.isLeader && settings.failsafeMode))) {
    return decision(ctx, { ruleId: 'dcs-unreachable.idle', message: NOT_ACCESSIBLE, reason: detail });
  }
  if (!isRunningPrimary(ctx)) {
    return decision(ctx, { ruleId: 'dcs-unreachable.replica', message: NOT_ACCESSIBLE, reason: detail });
  }
  const until = lockValidUntilMs(ctx.input.lockRenewedAtMs, settings) ?? nowMs;
  const retryMs = settings.retryTimeoutSeconds * 1000;
  // Keep only if one more DCS attempt (up to retry_timeout) still ends before the lock expires.
  if (ctx.memory.isLeader && isLockValid(ctx.input.lockRenewedAtMs, settings, nowMs) && until - nowMs > retryMs) {
    return decision(ctx, {
      ruleId: 'dcs-unreachable.lock-still-valid',
      message: NOT_ACCESSIBLE,
      reason: `${detail}; still the leader by our own clock for ${Math.ceil((until - nowMs) / 1000)} s`,
      wakeUpAtMs: until - retryMs,
    });
  }
  if (ctx.paused) return pausedFailsafe(ctx, detail);
  if (settings.failsafeMode) return failsafeCheck(ctx);
  return demoteOffline(ctx, `${detail}; the lock renewed last is no longer valid by our clock`);
}

/**
 * Paused, failsafe mode on, a running primary whose lock ran out with the DCS
 * away (pgwarden; Patroni skips failsafe in pause). Its watchdog stays armed in
 * pause (own-lock.ts), so without this the machine is reset once the lock
 * ran out: an operator who paused to upgrade the DCS loses the primary.
 * The failsafe round makes the same promise as outside pause — every member
 * answered, each takes us for the leader for a ttl after our call (no race
 * against us, also after a resume it did not see), and only then is the
 * watchdog fed — so the watchdog still resets a frozen agent's machine before
 * any of them may race. A round that fails demotes nothing in pause:
 * PostgreSQL stays as it is and the watchdog, no longer fed, fires as before.
 */
function pausedFailsafe(ctx: Context, detail: string): Decision {
  return failsafeCheck(ctx, (reason) => decision(ctx, { ruleId: 'dcs-unreachable.idle', message: NOT_ACCESSIBLE, reason: `${detail}; ${reason}; paused: PostgreSQL left as it is` }));
}
