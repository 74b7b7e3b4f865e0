/**
 * What the runtime knows about leadership: when the DCS last confirmed our
 * lock (the send time of the confirmed request, on the monotonic clock), and
 * which leader proved itself alive through POST /failsafe while the DCS was
 * down. It never says "leader" longer than the DCS (or, in failsafe mode,
 * every member) confirmed.
 *
 * It also keeps the fence (DESIGN invariant 1): the lock is ours by our own
 * clock until `renewed + ttl − safety_margin`. Until then no DCS request of
 * the cycle may outlast that moment (`budgetMs`), and when the moment comes
 * without a newer renewal `onValidityEnds` fires, whatever the cycle is
 * waiting on, so that the next decision (demote, or the failsafe check) is
 * made while the key still exists at the DCS and the safety margin is left
 * for PostgreSQL to stop taking writes.
 */
import { lockValidUntilMs, type Cluster, type HaSettings, type LocalPostgres } from '@pgwarden/core';
import type { Clock } from '../ports.js';

export class Leadership {
  /** The DCS confirmed the lock (send time of the confirmed request): the one place this fact is kept. */
  private renewedAt: number | undefined;
  /** Every member confirmed us through POST /failsafe while the DCS was down. */
  private failsafeConfirmedAt: number | undefined;
  private failsafeLeader: { name: string; atMs: number } | undefined;
  private cancelFence: (() => void) | undefined;
  /** The validity ran out without a renewal, and nothing confirmed the lock since. */
  private validityLapsed = false;

  constructor(
    private readonly clock: Clock,
    private readonly settings: () => HaSettings,
    private readonly onValidityEnds: () => void,
  ) {}

  /** When the DCS last confirmed our lock (what decide() judges the lock's validity on). */
  get dcsRenewedAtMs(): number | undefined {
    return this.renewedAt;
  }

  /** When our leadership was last confirmed, by the DCS or (failsafe mode) by every member: the fence and the REST API count from it. */
  get renewedAtMs(): number | undefined {
    if (this.failsafeConfirmedAt === undefined) return this.renewedAt;
    return Math.max(this.renewedAt ?? this.failsafeConfirmedAt, this.failsafeConfirmedAt);
  }

  get held(): boolean {
    return this.renewedAtMs !== undefined;
  }

  /** The DCS confirmed our lock as of `atMs`. */
  renewed(atMs: number): void {
    this.renewedAt = atMs;
    this.validityLapsed = false;
    this.armFence();
  }

  /** The validity ran out without a renewal: forgotten, and remembered as lapsed until the next confirmation. */
  lapse(): void {
    this.forget();
    this.validityLapsed = true;
  }

  /**
   * Whether an action that makes PostgreSQL writable (a promotion, a start as
   * primary) may begin now: not once the lock's validity by our clock has run
   * out (it stays refused until the DCS confirms the lock again). An agent
   * frozen (SIGSTOP, a stalled host) between taking the lock and promoting
   * resumes its action list where it stopped: without this it promoted a
   * PostgreSQL after the DCS had let the key go (the simulator, seed 91 in
   * quorum mode). `requireLock`: the lock must also be held (a promotion
   * always follows a confirmed acquire or renewal; a start as primary after
   * the agent's own restart comes before its first renewal, as in Patroni).
   */
  writableAllowed(requireLock: boolean): boolean {
    if (this.validityLapsed) return false;
    const until = this.validUntilMs();
    if (until === undefined) return !requireLock;
    return this.clock.nowMs() < until;
  }

  forget(): void {
    this.renewedAt = undefined;
    this.failsafeConfirmedAt = undefined;
    this.cancelFence?.();
    this.cancelFence = undefined;
  }

  /** The moment after which we must no longer act as the leader; undefined without a lock. */
  validUntilMs(): number | undefined {
    return lockValidUntilMs(this.renewedAtMs, this.settings());
  }

  /** How long one DCS request started now may take: retry_timeout, and never past the lock's validity while we hold it. */
  budgetMs(): number {
    const retryMs = this.settings().retryTimeoutSeconds * 1000;
    const until = this.validUntilMs();
    if (until === undefined) return retryMs;
    return Math.max(0, Math.min(retryMs, until - this.clock.nowMs()));
  }

  private armFence(): void {
    this.cancelFence?.();
    const until = this.validUntilMs();
    if (until === undefined) return;
    const renewedAt = this.renewedAtMs;
    this.cancelFence = this.clock.setTimer(() => {
      this.cancelFence = undefined;
      if (this.renewedAtMs !== renewedAt) return;
      this.validityLapsed = true;
      this.onValidityEnds();
    }, until - this.clock.nowMs());
  }

  /**
   * Patroni's set_is_leader(True) in failsafe mode: every member confirmed
   * us while the DCS is down, so we stay the leader for another ttl — the
   * REST API keeps answering 200 on /primary and HAProxy keeps routing
   * writes to the primary that failsafe mode keeps running.
   */
  confirmedByFailsafe(nowMs: number, local: LocalPostgres): void {
    if (!local.running || !local.accepting || local.inRecovery) return;
    this.failsafeConfirmedAt = nowMs;
    this.validityLapsed = false;
    this.armFence();
  }

  /** A replica accepted POST /failsafe from `name`. */
  acceptFailsafeLeader(name: string, atMs: number): void {
    this.failsafeLeader = { name, atMs };
  }

  /**
   * The remembered failsafe leader injected into an unlocked cluster for
   * ttl, so a replica does not start a leader race while the DCS is down but
   * the leader is alive (Patroni's failsafe injection, spec/ha-loop.md §10.2).
   */
  withFailsafeLeader(cluster: Cluster, nowMs: number, settings: HaSettings): Cluster {
    const remembered = this.failsafeLeader;
    if (remembered === undefined || !settings.failsafeMode) return cluster;
    if (nowMs - remembered.atMs > settings.ttlSeconds * 1000) return cluster;
    if (cluster.leader !== undefined && cluster.leader.name !== '') return cluster;
    return { ...cluster, leader: { name: remembered.name, version: 0 } };
  }
}
