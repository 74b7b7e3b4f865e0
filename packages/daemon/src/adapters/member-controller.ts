/**
 * The REST API's `MemberController`, implemented over the runtime: DCS
 * writes on the operator's behalf, peer checks for switchover validation.
 * Restart, reinitialize and a due scheduled restart are operator requests:
 * the next cycle's decide() judges them (rules `request.*`) and the runtime
 * runs them in its single background slot, as Patroni runs them in its
 * async executor — an API restart never overlaps a promotion or a clone.
 */
import type { Dcs, Member, OperatorRequests, PeerStatus } from '@pgwarden/core';
import {
  postgresVersionToInt,
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

  // The routes wake the cycle after a write (wake()): waking here too queued a second cycle right
  // behind the first, a second lock update in the middle of a switchover.
  setConfig(value: Readonly<Record<string, unknown>>, version?: number) {
    return this.dcs.setConfig(value, version);
  }

  setFailover(value: Parameters<Dcs['setFailover']>[0], version?: number) {
    return this.dcs.setFailover(value, version);
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
    return this.runRestart(request, undefined);
  }

  /** The restart as an operator request; its outcome in Patroni's words. */
  private async runRestart(request: RestartRequest, scheduled: { postmasterStartTime?: string } | undefined): Promise<RestartOutcome> {
    const restart: NonNullable<OperatorRequests['restart']> = {
      ...(request.role === undefined ? {} : { role: request.role }),
      ...(request.postgresVersion === undefined ? {} : { postgresVersion: postgresVersionToInt(request.postgresVersion) }),
      ...(request.restartPending === undefined ? {} : { restartPending: request.restartPending }),
      ...(request.timeoutSeconds === undefined ? {} : { timeoutSeconds: request.timeoutSeconds }),
      ...(scheduled === undefined ? {} : { scheduled }),
    };
    const outcome = await this.runtime.ask('restart', { restart });
    if (!outcome.started) return { ok: false, message: outcome.message };
    const result = await outcome.done;
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
    const outcome = await this.runRestart(request, seenAtSchedule === undefined ? {} : { postmasterStartTime: seenAtSchedule });
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
    const outcome = await this.runtime.ask('reinitialize', { reinitialize: request });
    if (!outcome.started) return { ok: false, message: outcome.message };
    void outcome.done.then((result) => this.logger.info({ ok: result.ok, error: result.message }, 'reinitialize finished'));
    return { ok: true };
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
