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
import { safetyMarginMs, type Cluster, type HaSettings, type LocalPostgres } from '@pgwarden/core';
import type { Clock } from '../ports.js';

export class Leadership {
  private renewedAt: number | undefined;
  private failsafeLeader: { name: string; atMs: number } | undefined;
  private cancelFence: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly settings: () => HaSettings,
    private readonly onValidityEnds: () => void,
  ) {}

  get renewedAtMs(): number | undefined {
    return this.renewedAt;
  }

  get held(): boolean {
    return this.renewedAt !== undefined;
  }

  /** The DCS (or every member, in failsafe mode) confirmed our lock as of `atMs`. */
  renewed(atMs: number): void {
    this.renewedAt = atMs;
    this.armFence();
  }

  forget(): void {
    this.renewedAt = undefined;
    this.cancelFence?.();
    this.cancelFence = undefined;
  }

  /** The moment after which we must no longer act as the leader; undefined without a lock. */
  validUntilMs(): number | undefined {
    if (this.renewedAt === undefined) return undefined;
    const settings = this.settings();
    return this.renewedAt + settings.ttlSeconds * 1000 - safetyMarginMs(settings);
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
    const renewedAt = this.renewedAt;
    this.cancelFence = this.clock.setTimer(() => {
      this.cancelFence = undefined;
      if (this.renewedAt === renewedAt) this.onValidityEnds();
    }, until - this.clock.nowMs());
  }

  /**
   * Patroni's set_is_leader(True) in failsafe mode: every member confirmed
   * us while the DCS is down, so we stay the leader for another ttl — the
   * REST API keeps answering 200 on /primary and HAProxy keeps routing
   * writes to the primary that failsafe mode keeps running.
   */
  confirmedByFailsafe(nowMs: number, local: LocalPostgres): void {
    if (local.running && local.accepting && !local.inRecovery) this.renewed(nowMs);
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
