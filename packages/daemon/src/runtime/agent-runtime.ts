/**
 * The agent's cycle (../../shared/DESIGN.md): observe → decide → act →
 * publish → wait. One instance per agent; adapters are injected so the same
 * code runs against doubles in unit tests and real servers end to end.
 *
 * Invariants kept here:
 * - actions run in decide()'s order; the first failure stops the list and is
 *   the next cycle's `lastFailure`;
 * - at most one long action runs in the background (BackgroundSlot);
 * - a lock renewal is recorded only when the DCS confirmed it, with the
 *   time the request was sent, so the core's view of validity is never
 *   later than the DCS's;
 * - the wait ends early on a DCS watch event, a postmaster exit, a finished
 *   background action or an API request.
 *
 * The steps live in their own modules (decide-rounds, action-executor,
 * background-slot, member-data, leadership, settings-tracker, cycle-log,
 * wait, shutdown); this class keeps the order and the state between them.
 */
import type { Action, Cluster, HaSettings, LocalPostgres, OperatorRequests, RunningAction } from '@pgwarden/core';
import type { AgentLogger } from '../logger.js';
import type { Clock } from '../ports.js';
import { systemClock } from '../ports.js';
import { describeAction, isLongAction, isPostgresAction } from './action-names.js';
import { SettingsTracker } from './settings-tracker.js';
import { trackCallbacks, type TrackedCallbacks } from './tracked-callbacks.js';
import { executeAction, type ActionOutcome, type ExecutorContext } from './action-executor.js';
import { CycleMetrics } from './cycle-metrics.js';
import { BackgroundSlot, describeError, type BackgroundResult } from './background-slot.js';
import { buildMemberData, derivePublishedState } from './member-data.js';
import { CycleLog } from './cycle-log.js';
import { decideWithRounds } from './decide-rounds.js';
import { Leadership } from './leadership.js';
import type { CycleSnapshot, RuntimeOptions } from './runtime-types.js';
import { shutdownAgent } from './shutdown.js';
import { waitForNextCycle } from './wait.js';
import { WakeSignal } from './wake-signal.js';

export class AgentRuntime<TMemory> {
  private memory: TMemory;
  private readonly clock: Clock;
  private readonly logger: AgentLogger;
  private readonly wakeSignal = new WakeSignal();
  private readonly background: BackgroundSlot;
  private readonly executor: ExecutorContext;
  private readonly callbacks: TrackedCallbacks;
  private readonly settingsTracker: SettingsTracker;
  private lastFailure: { action: Action; message: string } | undefined;
  private requests: OperatorRequests = {};
  private readonly leadership = new Leadership();
  private cluster: Cluster | undefined;
  private clusterReadAtMs: number | undefined;
  private settingsNow: HaSettings;
  private local: LocalPostgres | undefined;
  private cycleCount = 0;
  private reloadRequested = false;
  private stopRequested = false;
  private exitCode: number | undefined;
  private latest: CycleSnapshot | undefined;
  private readonly unsubscribePostmaster: () => void;
  private readonly metrics = new CycleMetrics();
  private readonly cycleLog: CycleLog;
  private nextCycleAtMs: number | undefined;
  private positionsObservedAtMs = Number.NEGATIVE_INFINITY;
  private positionsRefresh: Promise<void> | undefined;

  constructor(private readonly options: RuntimeOptions<TMemory>) {
    this.memory = options.initialMemory;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.cycleLog = new CycleLog(options.logger, this.metrics);
    this.settingsTracker = new SettingsTracker(options.settings, options.dcs, options.logger);
    this.settingsNow = this.settingsTracker.current;
    this.background = new BackgroundSlot((result) => this.onBackgroundFinished(result));
    this.callbacks = trackCallbacks(options.callbacks);
    this.executor = this.makeExecutorContext();
    this.unsubscribePostmaster = options.postgres.onPostmasterExit(() => this.wake('postmaster exited'));
  }

  /** The snapshot of the last cycle (the REST API serves from it). */
  get snapshot(): CycleSnapshot | undefined {
    return this.latest;
  }

  get settings(): HaSettings {
    return this.settingsNow;
  }

  /**
   * Fresh WAL positions for `GET /patroni`, as Patroni answers it live: a
   * replica that caught up a second ago must not look lagging to a leader
   * deciding a switchover until our next cycle. Only the replication
   * positions are replaced — role and state change in a cycle, never here —
   * and concurrent calls share one observation no older than `maxAgeMs`.
   */
  refreshPositions(maxAgeMs = 100): Promise<void> {
    const latest = this.latest;
    if (latest === undefined || this.background.running !== undefined) return Promise.resolve();
    if (this.clock.nowMs() - this.positionsObservedAtMs < maxAgeMs) return Promise.resolve();
    this.positionsRefresh ??= this.observePositions(latest).finally(() => {
      this.positionsRefresh = undefined;
    });
    return this.positionsRefresh;
  }

  private async observePositions(basis: CycleSnapshot): Promise<void> {
    const { postgres } = this.options;
    const fresh = await (postgres.observePositions?.() ?? postgres.observe()).catch(() => undefined);
    this.positionsObservedAtMs = this.clock.nowMs();
    const latest = this.latest;
    // A cycle published meanwhile, or PostgreSQL changed in a way only a cycle may report: keep what is there.
    if (fresh === undefined || latest !== basis || fresh.running === false || !latest.local.running || fresh.inRecovery !== latest.local.inRecovery) return;
    const local: LocalPostgres = {
      ...latest.local,
      ...pick(fresh, ['replication', 'walPosition', 'receivedLsn', 'replayedLsn', 'replicationState', 'replayPaused', 'timeline']),
    };
    const snapshot: CycleSnapshot = { ...latest, local };
    this.latest = snapshot;
    this.options.publish?.(snapshot);
  }

  /** React now rather than at the next loop_wait. */
  wake(reason: string): void {
    this.wakeSignal.wake(reason);
  }

  /** Operator requests from the REST API, consumed by the next cycle. */
  request(requests: OperatorRequests): void {
    this.requests = { ...this.requests, ...requests };
    this.wake('api request');
  }

  /** SIGHUP / POST /reload. */
  reload(): void {
    this.reloadRequested = true;
    this.wake('reload');
  }

  /** SIGTERM / SIGINT: finish the current cycle, then shut down. */
  stop(): void {
    this.stopRequested = true;
    this.wake('shutdown');
  }

  /** Run cycles until stopped; resolves with the process exit code. */
  async run(): Promise<number> {
    let nextRunMs = this.clock.nowMs();
    while (!this.stopRequested && this.exitCode === undefined) {
      if (this.reloadRequested) await this.reloadLocalConfig();
      await this.runCycle();
      if (this.stopRequested || this.exitCode !== undefined) break;
      nextRunMs += this.settingsNow.loopWaitSeconds * 1000;
      const nowMs = this.clock.nowMs();
      if (nextRunMs <= nowMs) {
        this.logger.warn({ overrunMs: nowMs - nextRunMs }, 'Loop time exceeded, rescheduling immediately.');
        nextRunMs = nowMs;
        continue;
      }
      this.nextCycleAtMs = nextRunMs;
      const woken = await waitForNextCycle(this.options.dcs, this.wakeSignal, nextRunMs - nowMs);
      if (woken !== undefined) {
        this.logger.debug({ reason: woken }, 'woken up early');
        nextRunMs = this.clock.nowMs();
      }
    }
    this.unsubscribePostmaster();
    await this.options.beforeShutdown?.().catch((error: unknown) => this.logger.warn({ error: describeError(error) }, 'shutdown hook failed'));
    if (this.exitCode !== undefined) {
      await this.options.dcs.close();
      return this.exitCode;
    }
    await shutdownAgent({
      dcs: this.options.dcs,
      postgres: this.options.postgres,
      watchdog: this.options.watchdog,
      callbacks: this.callbacks,
      logger: this.logger,
      paused: this.settingsNow.paused,
      holdsLock: this.holdsLock(),
      memberData: async (local) => {
        const published = derivePublishedState(local, undefined, false, this.settingsNow);
        return buildMemberData(this.options.self, local, published, this.settingsNow, undefined, this.options.scheduledRestart?.());
      },
    });
    return 0;
  }

  /** One cycle; public for tests that step the runtime. */
  async runCycle(): Promise<CycleSnapshot | undefined> {
    this.cycleCount += 1;
    const startedAtMs = this.clock.nowMs();
    try {
      return await this.cycle(startedAtMs);
    } catch (error) {
      this.logger.error({ error: describeError(error), cycle: this.cycleCount }, 'Unexpected exception raised, please report it as a BUG');
      return undefined;
    }
  }

  private async cycle(startedAtMs: number): Promise<CycleSnapshot | undefined> {
    const { dcs, postgres, self } = this.options;
    const clusterResult = await dcs.getCluster();
    if (clusterResult.ok) {
      this.cluster = clusterResult.value;
      this.clusterReadAtMs = startedAtMs;
      if (this.cluster.leader?.name !== self.name) this.forgetLock();
    }
    this.settingsNow = this.settingsTracker.update(clusterResult.ok ? clusterResult.value : this.cluster);
    const decideCluster = clusterResult.ok ? this.leadership.withFailsafeLeader(clusterResult.value, startedAtMs, this.settingsNow) : undefined;
    let local: LocalPostgres;
    try {
      local = await postgres.observe();
    } catch (error) {
      this.logger.error({ error: describeError(error) }, 'Error communicating with PostgreSQL. Will try again later');
      return undefined;
    }
    this.local = local;
    const settings = this.settingsNow;
    const requests = this.requests;
    this.requests = {};
    const finished = this.background.takeFinished();
    const base = {
      nowMs: startedAtMs,
      self,
      settings,
      cluster: decideCluster !== undefined ? { ok: true as const, value: decideCluster } : { ok: false as const, message: clusterResult.ok ? '' : clusterResult.message },
      local,
      running: this.background.running,
      lastActionResult: finished,
      lastFailure: this.lastFailure,
      requests,
      memory: this.memory,
    };
    this.lastFailure = undefined;
    const result = await decideWithRounds(this.options.decide, base, { peers: this.options.peers, self, cluster: this.cluster, settings, local });
    this.memory = result.memory;
    if (!clusterResult.ok && !this.demoting && this.options.isFailsafeActive?.(this.memory) === true) this.leadership.confirmedByFailsafe(startedAtMs, local);
    const message = settings.paused && !result.message.startsWith('PAUSE: ') ? `PAUSE: ${result.message}` : result.message;
    const touchedPostgres = await this.act(result.actions);
    return this.publish({ startedAtMs, message, ruleId: result.ruleId, reason: result.reason, actions: result.actions, clusterOk: clusterResult.ok, touchedPostgres, requests });
  }

  /** Execute in order; the first long action and everything after it go to the background. */
  private async act(actions: readonly Action[]): Promise<boolean> {
    const list = actions.filter((action) => action.type !== 'fetch-peer-status' && action.type !== 'failsafe-check');
    let touchedPostgres = false;
    for (let index = 0; index < list.length; index++) {
      const action = list[index];
      if (action === undefined) continue;
      if (isLongAction(action)) {
        this.startBackground(action, list.slice(index));
        return true;
      }
      const outcome = await this.execute(action);
      if (isPostgresAction(action)) touchedPostgres = true;
      if (!outcome.ok) {
        this.lastFailure = { action, message: outcome.message };
        this.logger.warn({ action: action.type, error: outcome.message }, 'action failed; the rest of this cycle is skipped');
        return touchedPostgres;
      }
    }
    return touchedPostgres;
  }

  private startBackground(first: Action, tail: readonly Action[]): void {
    const started = this.startBackgroundActions(first, tail);
    if (!started.ok) {
      this.lastFailure = { action: first, message: started.message };
      this.logger.warn({ action: first.type }, started.message);
    }
  }

  /**
   * Run `first` and then `tail` in the background slot (also used by the
   * REST API for restart and reinitialize, which Patroni runs in its async
   * executor too). Busy → Patroni's `Failed to run X, Y is already in progress`.
   */
  startBackgroundActions(
    first: Action,
    tail: readonly Action[] = [first],
  ): { ok: true; done: Promise<BackgroundResult> } | { ok: false; message: string; runningName: string } {
    const running = { name: describeAction(first), type: first.type, startedAtMs: this.clock.nowMs() };
    // From the moment a demotion starts we are no longer the leader for the REST API
    // (/primary answers 503), not only once PostgreSQL has stopped.
    if (first.type === 'demote' && this.background.running === undefined) this.forgetLock();
    const done = this.background.start(running, async () => {
      for (const action of tail) {
        const outcome = await this.execute(action);
        if (!outcome.ok) return { type: first.type, ok: false, message: outcome.message };
      }
      return { type: first.type, ok: true };
    });
    if (done !== undefined) {
      this.logger.info({ action: first.type }, `running in the background: ${running.name}`);
      return { ok: true, done };
    }
    const runningName = this.background.running?.name ?? 'another action';
    return { ok: false, message: `Failed to run ${running.name}, ${runningName} is already in progress`, runningName };
  }

  /** The background action in progress, if any. */
  get running(): RunningAction | undefined {
    return this.background.running;
  }

  private async execute(action: Action): Promise<ActionOutcome> {
    const outcome = await executeAction(this.executor, action);
    this.metrics.countAction(action.type, outcome.ok);
    return outcome;
  }

  private onBackgroundFinished(result: BackgroundResult): void {
    if (result.ok) this.logger.info({ action: result.type }, 'background action finished');
    else this.logger.error({ action: result.type, error: result.message }, 'background action failed');
    this.wake('background action finished');
  }

  private async publish(cycle: {
    startedAtMs: number;
    message: string;
    ruleId: string;
    reason: string | undefined;
    actions: readonly Action[];
    clusterOk: boolean;
    touchedPostgres: boolean;
    requests: OperatorRequests;
  }): Promise<CycleSnapshot> {
    const { dcs, postgres, self } = this.options;
    let local = this.local as LocalPostgres;
    if (cycle.touchedPostgres) local = await postgres.observe().catch(() => local);
    const settings = this.settingsNow;
    const running = this.background.running;
    const published = derivePublishedState(local, running, this.holdsLock(), settings);
    const member = buildMemberData(self, local, published, settings, running, this.options.scheduledRestart?.());
    if (cycle.clusterOk) {
      const touched = await dcs.touchMember(member);
      if (!touched.ok) this.logger.warn({ error: touched.message }, 'could not publish the member key');
      await this.settingsTracker.applyDynamicConfig(this.cluster?.config, this.options.onDynamicConfig);
    }
    this.fireStartCallbackOnce(local, published.role, running === undefined);
    this.cycleLog.record(
      { cycle: this.cycleCount, message: cycle.message, ruleId: cycle.ruleId, reason: cycle.reason, actions: cycle.actions, durationMs: this.clock.nowMs() - cycle.startedAtMs },
      published.role,
    );
    const snapshot: CycleSnapshot = {
      atMs: this.clock.nowMs(),
      cycle: this.cycleCount,
      self,
      settings,
      cluster: cycle.clusterOk ? this.cluster : undefined,
      clusterReadAtMs: this.clusterReadAtMs,
      local,
      member,
      state: published.state,
      role: published.role,
      message: cycle.message,
      ruleId: cycle.ruleId,
      running,
      lockRenewedAtMs: this.leadership.renewedAtMs,
      watchdogFailed: !this.options.watchdog.usable,
      pendingRequests: this.requests,
      failsafeActive: this.options.isFailsafeActive?.(this.memory) ?? false,
      nextCycleAtMs: this.nextCycleAtMs,
      metrics: this.metrics.view(),
    };
    this.latest = snapshot;
    this.options.publish?.(snapshot);
    if (this.options.afterCycle !== undefined && (running === undefined || running.type === 'promote')) {
      await this.options.afterCycle(snapshot).catch((error: unknown) => this.logger.warn({ error: describeError(error) }, 'post-processing failed'));
    }
    return snapshot;
  }

  /** Patroni fires on_start once after the agent starts, if no lifecycle callback ran yet (§4 step 13). */
  private fireStartCallbackOnce(local: LocalPostgres, role: string, idle: boolean): void {
    if (this.callbacks.fired || !idle || !local.running || !local.accepting) return;
    this.callbacks.run('on_start', role);
  }

  private async reloadLocalConfig(): Promise<void> {
    this.reloadRequested = false;
    try {
      await this.options.reloadLocalConfig?.();
      this.logger.info({}, 'local configuration reloaded');
    } catch (error) {
      this.logger.error({ error: describeError(error) }, 'could not reload the local configuration; keeping the previous one');
    }
  }

  /** A replica accepted POST /failsafe from the leader `name` (see Leadership). */
  acceptFailsafeLeader(name: string): void {
    this.leadership.acceptFailsafeLeader(name, this.clock.nowMs());
  }

  /**
   * A demotion runs in the background. The cycle still renews the key meanwhile (it is
   * released after the stop, with the shutdown checkpoint LSN), but those renewals must
   * not make us the leader again for the REST API: /primary would answer 200 for a
   * PostgreSQL that is stopping or already restarted as a replica, and HAProxy
   * (`rise 1`) would send writers back to it after the switchover.
   */
  private get demoting(): boolean {
    return this.background.running?.type === 'demote';
  }

  private holdsLock(): boolean {
    return this.leadership.held;
  }

  private forgetLock(): void {
    this.leadership.forget();
  }

  private makeExecutorContext(): ExecutorContext {
    return {
      postgres: this.options.postgres,
      dcs: this.options.dcs,
      watchdog: this.options.watchdog,
      callbacks: this.callbacks,
      logger: this.logger,
      clock: this.clock,
      settings: () => this.settingsNow,
      memberData: async () => {
        const local = this.local ?? (await this.options.postgres.observe());
        const published = derivePublishedState(local, this.background.running, this.holdsLock(), this.settingsNow);
        return buildMemberData(this.options.self, local, published, this.settingsNow, this.background.running, this.options.scheduledRestart?.());
      },
      onLockHeld: (renewedAtMs) => {
        if (!this.demoting) this.leadership.renewed(renewedAtMs);
        if (this.options.recordLockRenewal !== undefined) this.memory = this.options.recordLockRenewal(this.memory, renewedAtMs);
      },
      onLockGone: () => this.forgetLock(),
      requestExit: (code, reason) => {
        this.logger.fatal({ code }, reason);
        this.exitCode = code;
      },
    };
  }
}

/** The fields of `source` named in `keys` that are defined. */
function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const result: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) result[key] = source[key];
  return result;
}
