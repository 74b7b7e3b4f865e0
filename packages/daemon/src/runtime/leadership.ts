/**
 * What the runtime knows about leadership, for the REST API and shutdown:
 * when the DCS last confirmed our lock (the time the request was sent), and
 * which leader proved itself alive through POST /failsafe while the DCS was
 * down. The core keeps its own copy in memory; this one never says "leader"
 * longer than the DCS (or, in failsafe mode, every member) confirmed.
 */
import type { Cluster, HaSettings, LocalPostgres } from '@pgwarden/core';

export class Leadership {
  private renewedAt: number | undefined;
  private failsafeLeader: { name: string; atMs: number } | undefined;

  get renewedAtMs(): number | undefined {
    return this.renewedAt;
  }

  get held(): boolean {
    return this.renewedAt !== undefined;
  }

  renewed(atMs: number): void {
    this.renewedAt = atMs;
  }

  forget(): void {
    this.renewedAt = undefined;
  }

  /**
   * Patroni's set_is_leader(True) in failsafe mode: every member confirmed
   * us while the DCS is down, so we stay the leader for another ttl — the
   * REST API keeps answering 200 on /primary and HAProxy keeps routing
   * writes to the primary that failsafe mode keeps running.
   */
  confirmedByFailsafe(nowMs: number, local: LocalPostgres): void {
    if (local.running && local.accepting && !local.inRecovery) this.renewedAt = nowMs;
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
