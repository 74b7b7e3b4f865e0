/**
 * The REST API's `MemberController`, implemented over the runtime: DCS
 * writes on the operator's behalf, peer checks for switchover validation,
 * and restart / reinitialize run in the runtime's single background slot,
 * exactly as Patroni runs them in its async executor (so an API restart
 * never overlaps a promotion or a clone).
 */
import type { Dcs, FollowTarget, Member, PeerStatus } from '@pgwarden/core';
import {
  checkRestartConditions,
  type FailsafeOutcome,
  type FailsafeRequest,
  type MemberController,
  type ReinitializeOutcome,
  type RestartOutcome,
  type RestartRequest,
  type ScheduledRestartRequest,
  type ScheduledRestartView,
} from '@pgwarden/rest-api';
import type { AgentLogger } from '../logger.js';
import type { Clock, PeerPort } from '../ports.js';
import type { AgentRuntime } from '../runtime/agent-runtime.js';
import { toPeerStatus } from '../runtime/peer-client.js';

/** Patroni asks peers for /patroni with a 2 s timeout when validating a switchover. */
const switchoverPeerTimeoutMs = 2000;

/** The longest delay setTimeout honours. */
const maxTimerDelayMs = 2_147_483_647;

export class AgentMemberController implements MemberController {
  private scheduled: { request: ScheduledRestartRequest; postmasterStartTime: string | undefined; timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly runtime: AgentRuntime<unknown>,
    private readonly dcs: Dcs,
    private readonly peers: PeerPort,
    private readonly logger: AgentLogger,
    private readonly clock: Clock,
  ) {}

  getCluster() {
    return this.dcs.getCluster();
  }

  async setConfig(value: Readonly<Record<string, unknown>>, version?: number) {
    const result = await this.dcs.setConfig(value, version);
    if (result.ok) this.runtime.wake('config changed through the API');
    return result;
  }

  async setFailover(value: Parameters<Dcs['setFailover']>[0], version?: number) {
    const result = await this.dcs.setFailover(value, version);
    if (result.ok) this.runtime.wake('failover requested through the API');
    return result;
  }

  async fetchPeerStatuses(members: readonly Member[]): Promise<readonly PeerStatus[]> {
    return Promise.all(
      members.map(async (member) => {
        const url = member.data.api_url;
        if (url === undefined) return { name: member.name, reachable: false };
        return toPeerStatus(member.name, await this.peers.fetchStatus(url, switchoverPeerTimeoutMs));
      }),
    );
  }

  async restart(request: RestartRequest): Promise<RestartOutcome> {
    const snapshot = this.runtime.snapshot;
    if (snapshot === undefined) return { ok: false, message: 'restart failed' };
    const reason = checkRestartConditions(request, {
      role: snapshot.role,
      serverVersion: snapshot.local.serverVersion ?? 0,
      pendingRestart: Object.keys(snapshot.local.pendingRestart).length > 0,
    });
    if (reason !== undefined) {
      this.logger.info({ reason }, 'restart conditions are not satisfied');
      return { ok: false, message: 'restart conditions are not satisfied' };
    }
    const timeoutSeconds = request.timeoutSeconds ?? snapshot.settings.primaryStartTimeoutSeconds;
    const started = this.runtime.startBackgroundActions({ type: 'restart', timeoutSeconds });
    if (!started.ok) return { ok: false, message: `${started.runningName} already in progress` };
    const result = await started.done;
    this.runtime.wake('restart finished');
    return result.ok ? { ok: true, message: 'restarted successfully' } : { ok: false, message: 'restart failed' };
  }

  async scheduleRestart(request: ScheduledRestartRequest): Promise<boolean> {
    if (this.scheduled !== undefined) return false;
    this.scheduled = { request, postmasterStartTime: this.runtime.snapshot?.local.postmasterStartTime, timer: this.armTimer(request) };
    // Patroni touches the member key at once so patronictl sees the schedule.
    this.runtime.wake('restart scheduled through the API');
    return true;
  }

  /**
   * Node fires a timer longer than 2^31-1 ms (~24.8 days) after 1 ms, so a
   * far schedule would restart at once: wait in capped steps and re-arm.
   */
  private armTimer(request: ScheduledRestartRequest): NodeJS.Timeout {
    const delayMs = Math.max(0, Date.parse(request.schedule) - this.clock.wallMs());
    const timer = setTimeout(() => {
      if (this.scheduled?.request !== request) return;
      if (delayMs > maxTimerDelayMs) {
        this.scheduled = { ...this.scheduled, timer: this.armTimer(request) };
        return;
      }
      const seenAtSchedule = this.scheduled.postmasterStartTime;
      this.scheduled = undefined;
      // The schedule has run: the member key must stop announcing it.
      this.runtime.wake('scheduled restart due');
      void this.runScheduledRestart(request, seenAtSchedule);
    }, Math.min(delayMs, maxTimerDelayMs));
    timer.unref();
    return timer;
  }

  private async runScheduledRestart(request: ScheduledRestartRequest, seenAtSchedule: string | undefined): Promise<void> {
    if (this.runtime.settings.paused) {
      this.logger.warn({ schedule: request.schedule }, 'scheduled restart skipped: the cluster is paused');
      return;
    }
    // §12.2: PostgreSQL restarted (by hand, a crash, another request) since it was scheduled: it is done.
    const now = this.runtime.snapshot?.local.postmasterStartTime;
    if (seenAtSchedule !== undefined && now !== undefined && now !== seenAtSchedule) {
      this.logger.info({ schedule: request.schedule, scheduledAt: seenAtSchedule, postmasterStartTime: now }, 'postgres restart has already happened');
      return;
    }
    const outcome = await this.restart(request);
    this.logger.info({ schedule: request.schedule, outcome: outcome.message }, 'scheduled restart');
  }

  async cancelScheduledRestart(): Promise<boolean> {
    if (this.scheduled === undefined) return false;
    clearTimeout(this.scheduled.timer);
    this.scheduled = undefined;
    this.runtime.wake('scheduled restart cancelled through the API');
    return true;
  }

  /** What `/patroni` shows as `scheduled_restart`. */
  scheduledRestartView(): ScheduledRestartView | undefined {
    const request = this.scheduled?.request;
    if (request === undefined) return undefined;
    return {
      schedule: request.schedule,
      ...(request.role !== undefined ? { role: request.role } : {}),
      ...(request.postgresVersion !== undefined ? { postgres_version: request.postgresVersion } : {}),
      ...(request.restartPending !== undefined ? { restart_pending: request.restartPending } : {}),
      ...(request.timeoutSeconds !== undefined ? { timeout: request.timeoutSeconds } : {}),
    };
  }

  /**
   * The member-key form (spec/dcs.md §1.1): what `/patroni` shows plus the
   * `postmaster_start_time` seen when the restart was scheduled (null when
   * PostgreSQL was not running, as Patroni's None).
   */
  scheduledRestartMemberData(): Readonly<Record<string, unknown>> | undefined {
    const view = this.scheduledRestartView();
    if (view === undefined || this.scheduled === undefined) return undefined;
    return { ...view, postmaster_start_time: this.scheduled.postmasterStartTime ?? null };
  }

  reload(): void {
    this.runtime.reload();
  }

  async reinitialize(request: { readonly force: boolean; readonly fromLeader: boolean }): Promise<ReinitializeOutcome> {
    const snapshot = this.runtime.snapshot;
    const cluster = snapshot?.cluster;
    const leader = cluster?.leader;
    if (snapshot === undefined || cluster === undefined || leader === undefined || leader.name === '') {
      return { ok: false, message: 'Cluster has no leader, can not reinitialize' };
    }
    if (leader.name === snapshot.self.name) return { ok: false, message: 'I am the leader, can not reinitialize' };
    const source = this.cloneSource(cluster.members, leader.name, request.fromLeader);
    const started = this.runtime.startBackgroundActions({ type: 'reinitialize', source });
    if (!started.ok) return { ok: false, message: `${started.runningName} already in progress` };
    void started.done.then((result) => this.logger.info({ ok: result.ok, error: result.message }, 'reinitialize finished'));
    return { ok: true };
  }

  /** The leader, or a running `clonefrom` replica unless the operator asked for the leader. */
  private cloneSource(members: readonly Member[], leaderName: string, fromLeader: boolean): FollowTarget {
    const self = this.runtime.snapshot?.self.name;
    const clonefrom = fromLeader
      ? undefined
      : members.find(
          (member) => member.name !== leaderName && member.name !== self && member.data.tags?.clonefrom === true && member.data.state === 'running',
        );
    const chosen = clonefrom ?? members.find((member) => member.name === leaderName);
    return { name: chosen?.name ?? leaderName, ...(chosen?.data.conn_url !== undefined ? { connUrl: chosen.data.conn_url } : {}) };
  }

  acceptFailsafe(request: FailsafeRequest): FailsafeOutcome {
    const snapshot = this.runtime.snapshot;
    if (snapshot !== undefined && snapshot.local.running && !snapshot.local.inRecovery) {
      return { accepted: false, message: 'Running as a leader' };
    }
    this.runtime.acceptFailsafeLeader(request.name);
    const lsn = snapshot?.local.walPosition;
    return lsn !== undefined ? { accepted: true, lsn } : { accepted: true };
  }

  wake(): void {
    this.runtime.wake('api request');
  }

  refreshStatus(): Promise<void> {
    return this.runtime.refreshPositions();
  }

  close(): void {
    if (this.scheduled !== undefined) clearTimeout(this.scheduled.timer);
    this.scheduled = undefined;
  }
}
