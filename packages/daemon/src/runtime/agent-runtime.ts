/**
 * The agent's cycle (../../shared/DESIGN.md): observe → decide → act →
 * publish → wait. One instance per agent; its ports (DCS, PostgreSQL, peers,
 * callbacks, watchdog, clock and timers) are injected, so the same code runs
 * against real servers, unit-test doubles and the simulator's models.
 *
 * The runtime protocol of core's README, kept here:
 * - actions run in decide()'s order; the first failure stops the list, is
 *   the next cycle's `lastFailure`, and that next cycle starts at once;
 * - the next cycle starts no later than decide()'s `wakeUpAtMs`;
 * - `nowMs` is monotonic and read when the decision is made;
 * - a renewal counts from the send time of the confirmed request, and no DCS
 *   request outlasts the lock's validity by our clock (`Leadership`); when
 *   that validity ends without a renewal, the cycle in progress is abandoned
 *   and the next one decides at once (demote, or the failsafe check) — while
 *   the key still exists at the DCS;
 * - at most one long action runs in the background; a demotion preempts it;
 *   shutdown cancels it and waits for it.
 *
 * The steps live in their own modules (decide-rounds, action-executor,
 * background-slot, member-data, leadership, cycle-schedule, settings-tracker,
 * cycle-log, wait, shutdown); this class keeps their order and the state
 * between them.
 */
import { isQuestion, safetyMarginMs, type Action, type Cluster, type DecideResult, type Dcs, type DcsResult, type HaSettings, type LocalPostgres, type MemberData, type OperatorRequests, type RunningAction } from '@pgwarden/core';
import type { AgentLogger } from '../logger.js';
import type { Clock } from '../ports.js';
import { systemClock } from '../ports.js';
import { describeAction, isLongAction, isPostgresAction } from './action-names.js';
import { SettingsTracker } from './settings-tracker.js';
import { trackCallbacks, type TrackedCallbacks } from './tracked-callbacks.js';
import { executeAction, LeaderKeyGate, type ActionOutcome, type ExecutorContext } from './action-executor.js';
import { primaryStopTimeoutSeconds } from './stop-timeout.js';
import { CycleMetrics } from './cycle-metrics.js';
import { BackgroundSlot, describeError, type BackgroundJob, type BackgroundResult } from './background-slot.js';
import { boundedDcs, withinBudget } from './bounded-dcs.js';
import { buildMemberData, derivePublishedState, type PublishedState } from './member-data.js';
import { CycleLog } from './cycle-log.js';
import { CycleAbandoned, CycleGuard } from './cycle-guard.js';
import { planNextCycle } from './cycle-schedule.js';
import { RequestDesk, type RequestKind, type RequestOutcome } from './request-desk.js';
import { decideWithRounds, prefetchPeers, type PeerPrefetch } from './decide-rounds.js';
import { Leadership } from './leadership.js';
import type { CycleSnapshot, RuntimeOptions } from './runtime-types.js';
import { shutdownAgent } from './shutdown.js';
import { waitForNextCycle } from './wait.js';
import { WakeSignal } from './wake-signal.js';

type LastFailure = { action: Action; message: string; kind?: 'lost' | 'unreachable' };

/**
 * How long shutdown waits for cancelled background work (a clone, a rewind,
 * a start) to end before it stops PostgreSQL anyway. Every long operation
 * stops its child process when cancelled, so this is seconds in practice;
 * the bound only keeps a stuck one from holding the agent forever.
 */
const cancelledWorkGraceMs = 30_000;

/** What `act` did: whether PostgreSQL was touched, the background job it started or why it could not. */
interface Acted {
  readonly touchedPostgres: boolean;
  readonly started?: Promise<BackgroundResult>;
  readonly refusal?: string;
}

interface Observed {
  readonly cluster: DcsResult<Cluster>;
  readonly local: LocalPostgres;
  /** Peer statuses fetched while PostgreSQL was observed (a switchover's candidate); decide takes them. */
  readonly prefetched?: PeerPrefetch;
}

export class AgentRuntime<TMemory> {
  private memory: TMemory;
  private readonly clock: Clock;
  private readonly logger: AgentLogger;
  /** The DCS as the cycle uses it: every request bounded by `Leadership.budgetMs()`. */
  private readonly dcs: Dcs;
  private readonly wakeSignal = new WakeSignal();
  private readonly background: BackgroundSlot;
  private readonly executor: ExecutorContext;
  private readonly callbacks: TrackedCallbacks;
  private readonly settingsTracker: SettingsTracker;
  private readonly leadership: Leadership;
  private lastFailure: LastFailure | undefined;
  private readonly desk = new RequestDesk();
  /** The background action decide() saw in this cycle (a request could not start because of it). */
  private decidedWithRunning: RunningAction | undefined;
  private cluster: Cluster | undefined;
  /** Each member's REST API address as it last published it. */
  private readonly lastKnownApiUrls = new Map<string, string>();
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
  private wakeUpAtMs: number | undefined;
  private lockValidityEnded = false;
  private previousWasRetry = false;
  private guard: CycleGuard | undefined;
  private positionsObservedAtMs = Number.NEGATIVE_INFINITY;
  private positionsRefresh: Promise<void> | undefined;

  constructor(private readonly options: RuntimeOptions<TMemory>) {
    this.memory = options.initialMemory;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.cycleLog = new CycleLog(options.logger, this.metrics);
    this.settingsTracker = new SettingsTracker(options.settings, options.dcs, options.logger);
    this.settingsNow = this.settingsTracker.current;
    this.leadership = new Leadership(this.clock, () => this.settingsNow, () => this.onLockValidityEnded());
    this.dcs = boundedDcs(options.dcs, this.clock, () => this.leadership.budgetMs());
    this.background = new BackgroundSlot(this.clock, (result) => this.onBackgroundFinished(result));
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

  /** The background action in progress, if any. */
  get running(): RunningAction | undefined {
    return this.background.running;
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

  /** What we publish for `local`: the state and role we report, and the member key's content. */
  private describeLocal(local: LocalPostgres, running = this.background.running, holdsLock = this.holdsLock()): { published: PublishedState; member: MemberData } {
    const published = derivePublishedState(local, running, holdsLock, this.settingsNow, this.options.primaryRole);
    return { published, member: buildMemberData(this.options.self, local, published, this.settingsNow, running, this.options.scheduledRestart?.()) };
  }

  /** The REST view of `local` now, between cycles (see ExecutorContext.showLocal). */
  private showLocal(local: LocalPostgres): void {
    const latest = this.latest;
    if (latest === undefined) return;
    const running = this.background.running;
    const { published, member } = this.describeLocal(local, running);
    const snapshot: CycleSnapshot = { ...latest, local, member, state: published.state, role: published.role, running, lockRenewedAtMs: this.holdsLock() ? latest.lockRenewedAtMs : undefined };
    this.latest = snapshot;
    this.options.publish?.(snapshot);
  }

  /** React now rather than at the next loop_wait. */
  wake(reason: string): void {
    this.wakeSignal.wake(reason);
  }

  /** Operator requests, judged by the next cycle's decide(); nobody waits for the outcome. */
  request(requests: OperatorRequests): void {
    this.desk.submit(requests);
    this.wake('api request');
  }

  /**
   * An operator request (REST restart, reinitialize, a due scheduled
   * restart) judged by the next cycle's decide(): resolves once that cycle
   * acted, with what became of it.
   */
  ask(kind: RequestKind, requests: OperatorRequests): Promise<RequestOutcome> {
    const outcome = this.desk.ask(kind, requests);
    this.wake(`${kind} requested`);
    return outcome;
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
    let cadenceMs = this.clock.nowMs();
    while (this.keepsRunning()) {
      if (this.reloadRequested) await this.reloadLocalConfig();
      await this.runCycle();
      if (!this.keepsRunning()) break;
      cadenceMs = await this.waitForNextCycle(cadenceMs);
    }
    return this.shutDown();
  }

  private keepsRunning(): boolean {
    return !this.stopRequested && this.exitCode === undefined;
  }

  /** Wait until the next cycle is due (or something wakes us); returns the new cadence point. */
  private async waitForNextCycle(previousDueMs: number): Promise<number> {
    const nowMs = this.clock.nowMs();
    const next = planNextCycle({
      previousDueMs,
      loopWaitMs: this.settingsNow.loopWaitSeconds * 1000,
      nowMs,
      actionFailed: this.lastFailure !== undefined,
      previousWasRetry: this.previousWasRetry,
      lockValidityEnded: this.lockValidityEnded,
      wakeUpAtMs: this.wakeUpAtMs,
    });
    this.previousWasRetry = next.why === 'retry after failure';
    if (next.why === 'overrun') this.logger.warn({ overrunMs: nowMs - previousDueMs - this.settingsNow.loopWaitSeconds * 1000 }, 'Loop time exceeded, rescheduling immediately.');
    if (next.dueMs <= nowMs) {
      if (next.why !== 'overrun') this.logger.debug({ why: next.why }, 'next cycle at once');
      return next.cadenceMs;
    }
    this.nextCycleAtMs = next.dueMs;
    const woken = await waitForNextCycle(this.options.dcs, this.wakeSignal, next.dueMs - nowMs, this.clock);
    if (woken === undefined) return next.cadenceMs;
    this.logger.debug({ reason: woken }, 'woken up early');
    return this.clock.nowMs();
  }

  /** One cycle; public for tests that step the runtime. */
  async runCycle(): Promise<CycleSnapshot | undefined> {
    this.cycleCount += 1;
    this.lockValidityEnded = false;
    const guard = new CycleGuard();
    this.guard = guard;
    try {
      return await this.cycle(guard, this.clock.nowMs());
    } catch (error) {
      if (error instanceof CycleAbandoned) this.logger.warn({ cycle: this.cycleCount }, error.message);
      else this.logger.error({ error: describeError(error), cycle: this.cycleCount }, 'Unexpected exception raised, please report it as a BUG');
      this.desk.abandonCycle(error instanceof CycleAbandoned ? error.message : 'the cycle failed');
      return undefined;
    } finally {
      this.guard = undefined;
    }
  }

  private async cycle(guard: CycleGuard, startedAtMs: number): Promise<CycleSnapshot | undefined> {
    const observed = await guard.step(this.observe());
    if (observed === undefined) return undefined;
    const result = await guard.step(this.decide(observed));
    const acted = await this.act(result.actions, guard);
    this.desk.settle({ result, running: this.decidedWithRunning, started: acted.started, refusal: acted.refusal });
    const touchedPostgres = acted.touchedPostgres;
    const message = this.settingsNow.paused && !result.message.startsWith('PAUSE: ') ? `PAUSE: ${result.message}` : result.message;
    return guard.step(
      this.publish({ startedAtMs, message, ruleId: result.ruleId, reason: result.reason, actions: result.actions, diverged: result.diverged === true, clusterOk: observed.cluster.ok, touchedPostgres }),
    );
  }

  /** Read the cluster (bounded), then PostgreSQL; the settings of this cycle follow the cluster's `/config`. */
  private async observe(): Promise<Observed | undefined> {
    const cluster = await this.dcs.getCluster();
    if (cluster.ok) {
      this.cluster = cluster.value;
      this.clusterReadAtMs = this.clock.nowMs();
      for (const member of cluster.value.members) if (member.data.api_url !== undefined) this.lastKnownApiUrls.set(member.name, member.data.api_url);
      if (this.cluster.leader?.name !== this.options.self.name) this.leadership.forget();
    }
    this.settingsNow = this.settingsTracker.update(cluster.ok ? cluster.value : this.cluster);
    const prefetched = cluster.ok ? prefetchPeers({ peers: this.options.peers, self: this.options.self, cluster: cluster.value, settings: this.settingsNow, lastKnownApiUrls: this.lastKnownApiUrls }) : undefined;
    const local = await this.observeLocal();
    if (local === undefined) return undefined;
    this.local = local;
    return { cluster, local, ...(prefetched === undefined ? {} : { prefetched }) };
  }

  /**
   * PostgreSQL as it is now, within retry_timeout — and, while we hold the
   * lock, within what is left of its validity but never less than half the
   * safety margin: the decision that fences must see PostgreSQL as it is (a
   * start in progress, a primary that came up), yet cannot wait long. A
   * leader that cannot observe PostgreSQL in time still decides, on the last
   * observation, so that its lock is renewed or given up before it expires.
   * Anyone else skips the cycle.
   */
  private async observeLocal(): Promise<LocalPostgres | undefined> {
    const retryMs = this.settingsNow.retryTimeoutSeconds * 1000;
    const budgetMs = this.leadership.held ? Math.min(retryMs, Math.max(this.leadership.budgetMs(), safetyMarginMs(this.settingsNow) / 2)) : retryMs;
    try {
      return await withinBudget(this.clock, () => this.options.postgres.observe(), budgetMs, () => {
        throw new Error(`no answer within ${Math.round(budgetMs)} ms`);
      });
    } catch (error) {
      const fallback = this.leadership.held ? this.local : undefined;
      this.logger.error({ error: describeError(error), usingLastObservation: fallback !== undefined }, 'Error communicating with PostgreSQL. Will try again later');
      return fallback;
    }
  }

  private async decide(observed: Observed): Promise<DecideResult<TMemory>> {
    const { self } = this.options;
    const settings = this.settingsNow;
    const { cluster, local, prefetched } = observed;
    const nowMs = this.clock.nowMs();
    const requests = this.desk.take();
    this.decidedWithRunning = this.background.running;
    const base = {
      nowMs,
      wallNowMs: this.clock.wallMs(),
      self,
      settings,
      ...(this.leadership.dcsRenewedAtMs === undefined ? {} : { lockRenewedAtMs: this.leadership.dcsRenewedAtMs }),
      cluster: cluster.ok ? { ok: true as const, value: this.leadership.withFailsafeLeader(cluster.value, nowMs, settings) } : { ok: false as const, message: cluster.message },
      local,
      running: this.background.running,
      lastActionResult: this.background.takeFinished(),
      lastFailure: this.lastFailure,
      watchdogUnusable: !this.options.watchdog.usable,
      requests,
      ...(this.options.dynamicConfig === undefined ? {} : { dynamicConfig: this.options.dynamicConfig() }),
      memory: this.memory,
    };
    this.lastFailure = undefined;
    const result = await decideWithRounds(this.options.decide, base, { peers: this.options.peers, postgres: this.options.postgres, logger: this.logger, self, cluster: this.cluster, settings, local, lastKnownApiUrls: this.lastKnownApiUrls, ...(prefetched === undefined ? {} : { prefetched }) });
    this.memory = result.memory;
    this.keepMemory();
    this.wakeUpAtMs = result.wakeUpAtMs;
    if (result.ruleId === 'dcs-unreachable.failsafe-leader' && !this.demoting) this.leadership.confirmedByFailsafe(nowMs, local);
    // This decision was made on a lock whose validity by our clock had run out (it demotes, or the
    // failsafe check renewed it above): the lock is not ours any more until the DCS confirms it again.
    // Forgotten, so that DCS requests get their budget back — kept, every request of every later cycle
    // went unsent ("validity has run out") and the agent never read the DCS again (simulator, seed 245).
    const validUntil = this.leadership.validUntilMs();
    if (validUntil !== undefined && validUntil <= nowMs) this.leadership.lapse();
    return result;
  }

  private keepMemory(): void {
    try {
      this.options.keepMemory?.(this.memory);
    } catch (error) {
      this.logger.debug({ error: describeError(error) }, 'could not keep the memory for the next agent');
    }
  }

  /** Execute in order; the first long action and everything after it go to the background. */
  private async act(actions: readonly Action[], guard: CycleGuard): Promise<Acted> {
    const list = actions.filter((action) => !isQuestion(action));
    let touchedPostgres = false;
    for (let index = 0; index < list.length; index++) {
      const action = list[index];
      if (action === undefined) continue;
      if (isLongAction(action)) return { touchedPostgres: true, ...(await guard.step(this.startBackground(action, list.slice(index)))) };
      const refused = action.type === 'acquire-lock' && this.options.refuseStaleRace !== false ? this.staleRace() : undefined;
      const outcome: ActionOutcome = refused === undefined ? await guard.step(this.execute(action)) : { ok: false, message: refused };
      if (isPostgresAction(action)) touchedPostgres = true;
      if (!outcome.ok) {
        this.lastFailure = { action, message: outcome.message, ...(outcome.kind === undefined ? {} : { kind: outcome.kind }) };
        this.logger.warn({ action: action.type, error: outcome.message }, `action ${refused === undefined ? 'failed' : 'refused'}; the rest of this cycle is skipped`);
        return { touchedPostgres };
      }
    }
    return { touchedPostgres };
  }

  /**
   * A race won on a snapshot read a ttl or more ago is not taken: the agent
   * was frozen (SIGSTOP, a stalled host) or starved since, long enough for
   * another member to take the key, promote, take writes and lose the key
   * again. The key being free again says nothing of that; promoting on the
   * old picture would lose those writes (simulator: fast profile, a member
   * frozen through a whole leadership won with the position of the one
   * before). Under a ttl no such leadership fits: its key would still stand.
   * The refusal is this cycle's failure; the next one reads the DCS at once.
   */
  private staleRace(): string | undefined {
    const readAtMs = this.clusterReadAtMs;
    const ttlMs = this.settingsNow.ttlSeconds * 1000;
    const ageMs = readAtMs === undefined ? 0 : this.clock.nowMs() - readAtMs;
    return ageMs >= ttlMs ? `the cluster this race was decided on was read ${Math.round(ageMs)} ms ago (ttl ${ttlMs} ms): deciding again on a new read` : undefined;
  }

  /** A demotion (and a reinitialize with force) preempts whatever runs in the background; anything else waits for a free slot. */
  private async startBackground(first: Action, tail: readonly Action[]): Promise<Pick<Acted, 'started' | 'refusal'>> {
    const previous = this.background.running;
    if (first.type === 'demote') {
      const renewedAtMs = this.leadership.renewedAtMs;
      this.logger.warn({ mode: first.mode, lockRenewedAgoMs: renewedAtMs === undefined ? undefined : Math.round(this.clock.nowMs() - renewedAtMs) }, 'demoting');
    }
    if (first.type === 'demote' && previous?.type === 'demote') {
      // decide() may ask again while the DCS is unreachable (that rule does not look at `running`): not a failure.
      this.logger.info({ running: previous.name }, 'demotion already in progress');
      return {};
    }
    const forcedReinitialize = first.type === 'reinitialize' && first.force === true;
    if (previous !== undefined && ((first.type === 'demote' && this.options.preemptForDemotion !== false) || forcedReinitialize)) {
      const graceMs = safetyMarginMs(this.settingsNow) / 2;
      this.logger.warn({ cancelled: previous.name, graceMs }, `cancelling ${previous.name}: ${forcedReinitialize ? 'reinitialize with force' : 'demoting'}`);
      const { done } = await this.background.preempt(this.runningAction(first), this.backgroundJob(first, tail), graceMs);
      return { started: done };
    }
    const started = this.startBackgroundActions(first, tail);
    if (started.ok) return { started: started.done };
    this.lastFailure = { action: first, message: started.message };
    this.logger.warn({ action: first.type }, started.message);
    return { refusal: `${started.runningName} already in progress` };
  }

  /**
   * Run `first` and then `tail` in the background slot (Patroni's async
   * executor). Busy → Patroni's `Failed to run X, Y is already in progress`.
   */
  private startBackgroundActions(
    first: Action,
    tail: readonly Action[] = [first],
  ): { ok: true; done: Promise<BackgroundResult> } | { ok: false; message: string; runningName: string } {
    const running = this.runningAction(first);
    const done = this.background.start(running, this.backgroundJob(first, tail));
    if (done !== undefined) {
      this.logger.info({ action: first.type }, `running in the background: ${running.name}`);
      return { ok: true, done };
    }
    const runningName = this.background.running?.name ?? 'another action';
    return { ok: false, message: `Failed to run ${running.name}, ${runningName} is already in progress`, runningName };
  }

  private runningAction(first: Action): RunningAction {
    return { name: describeAction(first), type: first.type, startedAtMs: this.clock.nowMs() };
  }

  /** The actions in order; a cancelled job stops before its next action. */
  private backgroundJob(first: Action, actions: readonly Action[]): BackgroundJob {
    return async (signal) => {
      for (const action of actions) {
        if (signal.aborted) return { type: first.type, ok: false, message: `cancelled before ${describeAction(action)}` };
        const outcome = await this.execute(action, signal);
        if (!outcome.ok) return { type: first.type, ok: false, message: outcome.message, ...(outcome.cause === undefined ? {} : { cause: outcome.cause }) };
      }
      return { type: first.type, ok: true };
    };
  }

  private async execute(action: Action, signal?: AbortSignal): Promise<ActionOutcome> {
    const outcome = await executeAction(this.executor, action, signal);
    this.metrics.countAction(action.type, outcome.ok);
    return outcome;
  }

  private onBackgroundFinished(result: BackgroundResult): void {
    if (result.ok) this.logger.info({ action: result.type }, 'background action finished');
    else this.logger.error({ action: result.type, error: result.message }, 'background action failed');
    this.wake('background action finished');
  }

  /**
   * The fence: the lock's validity by our clock ended without a renewal.
   * Whatever the cycle waits on, it is abandoned and the next cycle decides
   * at once — its DCS requests get no budget left, so it sees the DCS as
   * unreachable and demotes (or asks every member, in failsafe mode).
   */
  private onLockValidityEnded(): void {
    this.lockValidityEnded = true;
    this.logger.warn({ renewedAtMs: this.leadership.renewedAtMs }, 'the leader lock was not renewed within its validity: deciding now');
    this.guard?.abandon('the leader lock was not renewed within its validity');
    this.wake('lock validity ended');
  }

  private async publish(cycle: {
    startedAtMs: number;
    message: string;
    ruleId: string;
    reason: string | undefined;
    actions: readonly Action[];
    diverged: boolean;
    clusterOk: boolean;
    touchedPostgres: boolean;
  }): Promise<CycleSnapshot> {
    const { postgres, self } = this.options;
    let local = this.local as LocalPostgres;
    if (cycle.touchedPostgres) local = await postgres.observe().catch(() => local);
    const settings = this.settingsNow;
    const running = this.background.running;
    const { published, member } = this.describeLocal(local, running);
    if (cycle.clusterOk) {
      // Skipped while a demotion releases the key: it published the stopped state itself.
      const touched = await this.executor.leaderKey.cycleWrite(() => this.dcs.touchMember(member));
      if (touched !== undefined && !touched.ok) this.logger.warn({ error: touched.message }, 'could not publish the member key');
      await this.settingsTracker.applyDynamicConfig(this.cluster?.config, this.options.onDynamicConfig);
    }
    this.fireStartCallbackOnce(local, published.role, running === undefined);
    const nowMs = this.clock.nowMs();
    this.cycleLog.record(
      { cycle: this.cycleCount, message: cycle.message, ruleId: cycle.ruleId, reason: cycle.reason, actions: cycle.actions, durationMs: nowMs - cycle.startedAtMs },
      published.role,
    );
    const snapshot: CycleSnapshot = {
      atMs: nowMs,
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
      lockRenewedAtMs: this.holdsLock() ? this.leadership.renewedAtMs : undefined,
      watchdogFailed: !this.options.watchdog.usable,
      diverged: cycle.diverged,
      pendingRequests: this.desk.pendingRequests,
      failsafeActive: this.options.isFailsafeActive?.(this.memory) ?? false,
      nextCycleAtMs: this.nextCycleAtMs,
      metrics: this.metrics.view(),
    };
    this.latest = snapshot;
    this.options.publish?.(snapshot);
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

  /**
   * Stop: cancel the background action and wait for it to end (bounded by
   * PostgreSQL's stop timeout: a clone or a rewind must not start a
   * postmaster after we stopped it), then Patroni's shutdown.
   */
  private async shutDown(): Promise<number> {
    this.unsubscribePostmaster();
    this.desk.close('the agent is shutting down');
    const holdsLock = this.holdsLock();
    // No fence once the loop has ended: shutdown releases the key itself after stopping PostgreSQL.
    this.leadership.forget();
    await this.options.beforeShutdown?.().catch((error: unknown) => this.logger.warn({ error: describeError(error) }, 'shutdown hook failed'));
    const running = this.background.running;
    if (running !== undefined) {
      this.background.cancel('shutting down');
      const drained = await this.background.drain(cancelledWorkGraceMs);
      this.logger.info({ action: running.name, drained }, drained ? 'background action ended before shutdown' : 'background action still running at shutdown');
    }
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
      holdsLock,
      ...optionalStopTimeout(primaryStopTimeoutSeconds(this.settingsNow)),
      memberData: async (local) => this.describeLocal(local, undefined, false).member,
      showLocal: (local) => this.showLocal(local),
    });
    return 0;
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

  /** We hold the lock and are not giving it up (for the REST API and the member key). */
  private holdsLock(): boolean {
    return this.leadership.held && !this.demoting;
  }

  private makeExecutorContext(): ExecutorContext {
    return {
      leaderKey: new LeaderKeyGate(),
      postgres: this.options.postgres,
      dcs: this.dcs,
      watchdog: this.options.watchdog,
      callbacks: this.callbacks,
      logger: this.logger,
      clock: this.clock,
      settings: () => this.settingsNow,
      showLocal: (local) => this.showLocal(local),
      memberData: async (observed) => {
        const local = observed ?? this.local ?? (await this.options.postgres.observe());
        return this.describeLocal(local).member;
      },
      onLockHeld: (renewedAtMs) => {
        this.leadership.renewed(renewedAtMs);
        if (this.options.recordLockRenewal !== undefined) this.memory = this.options.recordLockRenewal(this.memory);
      },
      onLockGone: () => this.leadership.forget(),
      writableAllowed: (requireLock) => this.options.fenceWritable === false || this.leadership.writableAllowed(requireLock),
      lockExpiresAtMs: () => {
        const renewedAtMs = this.leadership.renewedAtMs;
        return renewedAtMs === undefined ? undefined : renewedAtMs + this.settingsNow.ttlSeconds * 1000;
      },
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

function optionalStopTimeout(seconds: number | undefined): { stopTimeoutSeconds?: number } {
  return seconds === undefined ? {} : { stopTimeoutSeconds: seconds };
}
