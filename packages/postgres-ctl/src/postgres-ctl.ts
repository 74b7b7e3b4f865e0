/**
 * PostgresCtl: one managed PostgreSQL instance. Every operation returns a
 * typed outcome or throws a PgwardenError with a specific `code`; events
 * (postmaster exit, base backup progress, state) go to subscribers.
 */
import { EventEmitter } from 'node:events';
import { PgwardenError, type FollowTarget, type LogicalSlotSpec, type LocalPostgres, type PostgresState, type StopMode } from '@pgwarden/core';
import { createContext, type Context } from './context.js';
import { recoveryParameters, writeConfiguration, writePasswordFile } from './config-writer.js';
import { knownParameters } from './server-catalog.js';
import type { PostgresCtlEvent } from './events.js';
import { assertOwnedBy, dataDirectoryState, removeDataDirectory } from './files/data-directory.js';
import { hasRecoverySignal, removePromoteSignal } from './files/config-files.js';
import { reserveTimelines } from './files/timeline-reservation.js';
import { checkpointBeforeStop, launchPostmaster, signalAndWait, waitUntilReady, type StopOutcome } from './lifecycle.js';
import { silentLogger, type Logger } from './logger.js';
import { observe, observePositions, type ReplicationPositions } from './observe.js';
import { postgresCtlOptionsSchema, type PostgresCtlOptions, type PostgresCtlOptionsInput } from './options.js';
import { livePostmaster } from './postmaster.js';
import { awaitPromotion, RETRY_SLEEP_WAIT_EVENT } from './promotion-wait.js';
import { PostmasterTracker } from './postmaster-tracker.js';
import { withClient, type ConnectionSettings } from './sql/connection.js';
import { assertBootstrapTarget, createManagedRoles, runCustomBootstrap, runInitdb } from './bootstrap.js';
import { createReplica, type CreateReplicaOutcome } from './create-replica.js';
import { rewind, checkRewindNeeded, type RewindCheck, type RewindOutcome } from './rewind.js';
import { readTimelineHistory, type TimelineHistory } from './timeline-history.js';
import { runCrashRecovery } from './crash-recovery.js';
import { hasPrePromote, runBeforeStop, runPrePromote } from './scripts.js';
import { oldestLocalWal, readLogicalSlotStates, syncReplicationSlots, writeLogicalSlotStates, type SlotSyncOutcome, type DesiredSlots } from './slots.js';

export interface StartOptions {
  /** Follow this node as a standby; omit to start as a primary (unless `asStandby`). */
  readonly follow?: FollowTarget;
  /** Start in recovery even without a node to follow (archive recovery only). */
  readonly asStandby?: boolean;
  /** Default: pg_ctl_timeout. */
  readonly timeoutSeconds?: number;
  /**
   * Archive recovery (recovery.signal) with these settings, e.g.
   * restore_command and a recovery target: PostgreSQL replays and promotes.
   * Used after a custom bootstrap that restored a backup.
   */
  readonly archiveRecovery?: Readonly<Record<string, string | number | boolean>>;
}
export type StartOutcome = 'started' | 'already-running' | 'still-starting';

export interface StopOptions {
  readonly mode?: StopMode;
  readonly timeoutSeconds?: number;
  /** CHECKPOINT first (default true for smart/fast). */
  readonly checkpoint?: boolean;
  /**
   * The most the work before the signal (the CHECKPOINT, `before_stop`) may
   * take, in ms: a demoting primary must signal the postmaster before its
   * leader lock can expire. Work that does not fit is cut short or skipped,
   * with a log line. Unbounded (but for the stop's timeout) when undefined.
   */
  readonly preStopBudgetMs?: number;
}

export type FollowOutcome = 'reloaded' | 'restarted' | 'started' | 'unchanged';

export interface PromoteOutcome {
  readonly promoted: boolean;
  /** It was a primary already: nothing was done (Patroni skips the same way). */
  readonly alreadyPrimary?: boolean;
  readonly timeline?: number;
}

/** SQLSTATE of pg_promote on a server that is not in recovery. */
const OBJECT_NOT_IN_PREREQUISITE_STATE = '55000';

function alreadyPrimary(timeline: number | undefined): PromoteOutcome {
  return { promoted: true, alreadyPrimary: true, ...(timeline !== undefined ? { timeline } : {}) };
}

export class PostgresCtl {
  private readonly emitter = new EventEmitter();
  private readonly context: Context;
  private readonly tracker: PostmasterTracker;
  /** Whom we follow, kept so a restart or reload keeps following it. */
  private followTarget: FollowTarget | undefined;

  private constructor(options: PostgresCtlOptions, logger: Logger) {
    this.context = createContext(options, logger, (event) => this.emitter.emit('event', event));
    this.tracker = new PostmasterTracker(this.context, (state) => this.setState(state));
    // Read once here, while nothing runs yet: later it is needed in the middle of a cycle.
    knownParameters(this.context);
  }

  /** Validate options (zod), the binaries and the run-as user; throws PgwardenError on bad input. */
  static create(input: PostgresCtlOptionsInput, dependencies: { logger?: Logger } = {}): PostgresCtl {
    const parsed = postgresCtlOptionsSchema.safeParse(input);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `postgresql.${issue.path.join('.')}: ${issue.message}`).join('; ');
      throw new PgwardenError('pg-options-invalid', `invalid postgresql options: ${issues}`);
    }
    return new PostgresCtl(parsed.data, dependencies.logger ?? silentLogger);
  }

  get options(): PostgresCtlOptions {
    return this.context.options;
  }
  get state(): PostgresState {
    return this.context.state;
  }
  get dataDir(): string {
    return this.context.paths.dataDir;
  }
  get logFile(): string {
    return this.context.paths.logFile;
  }

  /** Subscribe to events; returns the unsubscribe function. */
  on(listener: (event: PostgresCtlEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** Connection settings of the local superuser (for callers that need their own `pg` client). */
  localSettings(overrides: Partial<ConnectionSettings> = {}): ConnectionSettings {
    return this.context.localSettings(overrides);
  }

  async observe(): Promise<LocalPostgres> {
    // The pid file and /proc read once per cycle: the tracker's look is the observation's.
    return observe(this.context, this.tracker.adoptIfRunning());
  }

  /** The replication positions only, live from the running server (two queries); undefined when it does not run or answer. */
  observePositions(): Promise<ReplicationPositions | undefined> {
    return observePositions(this.context);
  }

  /** Run a query on the reused local connection (short statement timeout). */
  query<T extends Record<string, unknown>>(text: string, values: readonly unknown[] = []): Promise<T[]> {
    return this.context.local.query<T>(text, values);
  }

  async bootstrap(): Promise<{ readonly method: string }> {
    const method = this.context.options.bootstrap.method;
    assertBootstrapTarget(this.context);
    this.setState(method === 'initdb' ? 'initializing new cluster' : 'running custom bootstrap script');
    try {
      writePasswordFile(this.context);
      let archiveRecovery: StartOptions['archiveRecovery'];
      if (method === 'initdb') await runInitdb(this.context);
      else archiveRecovery = await runCustomBootstrap(this.context, method);
      const timeoutSeconds = this.context.options.pg_ctl_timeout;
      await this.start({ timeoutSeconds, ...(archiveRecovery ? { archiveRecovery } : {}) });
      // A restored backup replays WAL first: the cluster is bootstrapped once it runs as a primary.
      await this.waitForPrimary(timeoutSeconds * 1000);
      // Recovery is over: rewrite postgresql.conf without the recovery section.
      if (archiveRecovery) await this.reload();
      await createManagedRoles(this.context);
      this.context.logger.info({ method, dataDir: this.dataDir }, 'bootstrap finished');
      return { method };
    } catch (error) {
      await this.stop({ mode: 'immediate', checkpoint: false }).catch(() => undefined);
      removeDataDirectory(this.dataDir, { rename: true });
      this.setState(method === 'initdb' ? 'initdb failed' : 'custom bootstrap failed');
      if (error instanceof PgwardenError) throw error;
      throw new PgwardenError('pg-bootstrap-failed', `bootstrap failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async createReplica(source: FollowTarget | undefined): Promise<CreateReplicaOutcome> {
    if (livePostmaster(this.dataDir)) throw new PgwardenError('pg-running', 'cannot create a replica while PostgreSQL runs in the data directory');
    this.setState('creating replica');
    try {
      const outcome = await createReplica(this.context, source);
      this.setState('stopped');
      return outcome;
    } catch (error) {
      this.setState('stopped');
      throw error;
    }
  }

  async start(options: StartOptions = {}): Promise<StartOutcome> {
    if (this.tracker.adoptIfRunning() !== undefined) return 'already-running';
    const state = dataDirectoryState(this.dataDir);
    if (state !== 'valid') throw new PgwardenError('pg-data-dir-invalid', `cannot start: data directory ${this.dataDir} is ${state}`);
    assertOwnedBy(this.dataDir, this.context.user);
    const standby = options.follow !== undefined || options.asStandby === true;
    this.followTarget = standby ? (options.follow ?? this.followTarget) : undefined;
    writePasswordFile(this.context, options.follow ? [options.follow] : []);
    if (options.archiveRecovery) {
      writeConfiguration(this.context, { recovery_target_timeline: 'latest', ...options.archiveRecovery }, 'recovery');
    } else {
      writeConfiguration(this.context, standby ? recoveryParameters(this.context, this.followTarget) : undefined);
    }
    this.setState('starting');
    await this.context.local.close();
    const spawned = await launchPostmaster(this.context, standby);
    this.tracker.attach(spawned.pid, spawned.child, false);
    try {
      const ready = await waitUntilReady(this.context, spawned, (options.timeoutSeconds ?? this.context.options.pg_ctl_timeout) * 1000);
      if (!ready) return 'still-starting';
    } catch (error) {
      this.setState('start failed');
      throw error;
    }
    this.setState('running');
    this.context.logger.info({ pid: spawned.pid, standby }, 'postgres started');
    return 'started';
  }

  async stop(options: StopOptions = {}): Promise<StopOutcome> {
    const mode = options.mode ?? 'fast';
    const timeoutMs = (options.timeoutSeconds ?? this.context.options.pg_ctl_timeout) * 1000;
    const postmaster = livePostmaster(this.dataDir);
    if (!postmaster) {
      this.setState('stopped');
      return 'not-running';
    }
    this.setState('stopping');
    this.tracker.expectExit(postmaster.pid);
    const budgetEnds = options.preStopBudgetMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + options.preStopBudgetMs;
    const budgetFor = (what: string): number | undefined => {
      const left = Math.min(timeoutMs, budgetEnds - performance.now());
      if (left >= 100) return Math.floor(left);
      this.context.logger.warn({ budgetMs: options.preStopBudgetMs }, `${what} skipped: the postmaster must be signalled before the leader lock can expire`);
      return undefined;
    };
    try {
      if (mode !== 'immediate' && options.checkpoint !== false) {
        const budget = budgetFor('CHECKPOINT before stop');
        if (budget !== undefined) await checkpointBeforeStop(this.context, budget);
      }
      if (this.context.options.before_stop !== undefined) {
        const budget = budgetFor('before_stop');
        if (budget !== undefined) await runBeforeStop(this.context, budget);
      }
      await this.context.local.close();
      const outcome = await signalAndWait(this.context, mode, timeoutMs);
      this.setState('stopped');
      return outcome;
    } catch (error) {
      this.setState('stop failed');
      throw new PgwardenError('pg-stop-failed', `stop failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async restart(options: StartOptions & { readonly mode?: StopMode } = {}): Promise<StartOutcome> {
    const follow = options.follow ?? this.currentFollowTarget();
    await this.stop({ mode: options.mode ?? 'fast' });
    return this.start({ ...options, ...(follow ? { follow } : {}), asStandby: options.asStandby ?? hasRecoverySignal(this.dataDir) });
  }

  /** Rewrite the configuration and SIGHUP the postmaster (what `pg_ctl reload` does). */
  async reload(): Promise<void> {
    const postmaster = livePostmaster(this.dataDir);
    writeConfiguration(this.context, hasRecoverySignal(this.dataDir) ? recoveryParameters(this.context, this.followTarget) : undefined);
    if (postmaster) process.kill(postmaster.pid, 'SIGHUP');
  }

  /**
   * Change parameters at runtime: written and reloaded; those that need a
   * restart are returned (pg_settings.pending_restart), never applied silently.
   */
  async setParameters(parameters: Readonly<Record<string, string | number | boolean | null>>): Promise<Record<string, { old_value: string; new_value: string }>> {
    for (const [name, value] of Object.entries(parameters)) {
      if (value === null) delete this.context.managedParameters[name];
      else this.context.managedParameters[name] = value;
    }
    await this.reload();
    await new Promise((resolve) => setTimeout(resolve, 300));
    return (await this.observe()).pendingRestart;
  }

  /** Set synchronous_standby_names (see renderSynchronousStandbyNames) and reload. */
  async setSynchronousStandbyNames(value: string): Promise<void> {
    if (value === '') delete this.context.managedParameters['synchronous_standby_names'];
    else this.context.managedParameters['synchronous_standby_names'] = value;
    await this.reload();
  }

  /**
   * pre_promote first (a non-zero exit throws PRE_PROMOTE_FAILED and nothing
   * is promoted), then pg_promote. `signal` cancels a running pre_promote.
   */
  async promote(options: { readonly timeoutSeconds?: number; readonly signal?: AbortSignal; readonly skipTimelinesThrough?: number } = {}): Promise<PromoteOutcome> {
    const timeoutSeconds = options.timeoutSeconds ?? this.context.options.pg_ctl_timeout;
    // The script must not run for a server that is already primary; without one, asking
    // first is a round trip while no member takes writes: pg_promote itself says so.
    if (hasPrePromote(this.context)) {
      const before = await observePositions(this.context);
      if (before !== undefined && !before.inRecovery) return alreadyPrimary(before.timeline);
      await runPrePromote(this.context, options.signal);
      options.signal?.throwIfAborted();
    }
    if (options.skipTimelinesThrough !== undefined) await this.reserveTimelinesThrough(options.skipTimelinesThrough);
    if (!(await this.signalPromotion(timeoutSeconds))) return alreadyPrimary((await observePositions(this.context))?.timeline);
    this.followTarget = undefined;
    writeConfiguration(this.context, undefined);
    const local = await this.observe();
    return { promoted: true, ...(local.timeline !== undefined ? { timeline: local.timeline } : {}) };
  }

  /** Placeholders so that the new timeline comes after `through` (files/timeline-reservation.ts). */
  private async reserveTimelinesThrough(through: number): Promise<void> {
    const positions = await observePositions(this.context);
    if (positions === undefined || !positions.inRecovery || positions.timeline === undefined || positions.timeline >= through) return;
    const reserved = reserveTimelines(this.dataDir, positions.timeline, through, this.context.user);
    if (reserved.length > 0) this.context.logger.warn({ timeline: positions.timeline, reserved }, `timeline ${reserved.join(', ')} used, or possibly used, in the cluster: promoting past it`);
  }

  /**
   * pg_promote without waiting, then pg_is_in_recovery() every 5 ms on the
   * open connection: pg_promote(true) looks only every 100 ms, and the new
   * primary is announced (REST API, leader key) only once this returns. A
   * startup process that took the request and then sleeps out
   * wal_retrieve_retry_interval is signalled again (promotion-wait.ts); the
   * signal file that leaves is removed once recovery has ended (the
   * postmaster would remove it at its next start).
   * False when the server was not in recovery (SQLSTATE 55000): nothing to promote.
   */
  private async signalPromotion(timeoutSeconds: number): Promise<boolean> {
    const failed = (error: unknown): never => {
      throw new PgwardenError('pg-promote-failed', `promote failed: ${(error as Error).message}`, { cause: error });
    };
    const signal = (): Promise<{ signalled: boolean }[] | 'not-in-recovery'> =>
      this.context.local.query<{ signalled: boolean }>('SELECT pg_catalog.pg_promote(false) AS signalled').catch((error: unknown) => {
        if ((error as { code?: unknown }).code !== OBJECT_NOT_IN_PREREQUISITE_STATE) failed(error);
        return 'not-in-recovery' as const;
      });
    const rows = await signal();
    if (rows === 'not-in-recovery') return false;
    if (rows[0]?.signalled !== true) throw new PgwardenError('pg-promote-failed', 'promote failed: PostgreSQL did not accept the promotion signal');
    const { logger } = this.context;
    const outcome = await awaitPromotion(
      {
        probe: async () => {
          const rows = await this.context.local
            .query<{ in_recovery: boolean; startup_wait: string | null }>(
              "SELECT pg_catalog.pg_is_in_recovery() AS in_recovery, (SELECT wait_event FROM pg_catalog.pg_stat_activity WHERE backend_type = 'startup') AS startup_wait",
            )
            .catch(failed);
          return { inRecovery: rows[0]?.in_recovery !== false, startupWait: rows[0]?.startup_wait ?? null };
        },
        resignal: async () => {
          logger.warn({ waitEvent: RETRY_SLEEP_WAIT_EVENT }, 'promotion: the startup process took the request and sleeps out wal_retrieve_retry_interval; signalling it again');
          return (await signal()) === 'not-in-recovery' ? 'ended' : 'signalled';
        },
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        nowMs: () => performance.now(),
      },
      timeoutSeconds * 1000,
    ).catch((error: unknown) => {
      if (error instanceof PgwardenError) throw error;
      throw new PgwardenError('pg-promote-failed', `promotion did not finish within ${timeoutSeconds} s`);
    });
    if (outcome.resignalled > 0) removePromoteSignal(this.dataDir);
    return true;
  }

  /** Demote: checkpoint, clean (fast) or immediate shutdown, then start as a standby of `follow`. */
  async demote(options: { readonly follow?: FollowTarget; readonly mode?: 'graceful' | 'immediate' | 'offline' } = {}): Promise<StartOutcome | StopOutcome> {
    const immediate = options.mode === 'immediate';
    const stopped = await this.stop({ mode: immediate ? 'immediate' : 'fast', checkpoint: !immediate });
    if (options.mode === 'offline') return stopped;
    return this.start({ asStandby: true, ...(options.follow ? { follow: options.follow } : {}) });
  }

  /** Point a standby at another node: reload where PostgreSQL allows (v13+), else restart. */
  async follow(target: FollowTarget | undefined): Promise<FollowOutcome> {
    const postmaster = livePostmaster(this.dataDir);
    writePasswordFile(this.context, target ? [target] : []);
    if (!postmaster) {
      await this.start({ asStandby: true, ...(target ? { follow: target } : {}) });
      return 'started';
    }
    const wasStandby = hasRecoverySignal(this.dataDir);
    const recovery = recoveryParameters(this.context, target);
    if (wasStandby && JSON.stringify(recovery) === JSON.stringify(this.context.recovery)) return 'unchanged';
    const version = (await this.observe()).serverVersion ?? 0;
    if (!wasStandby || version < 130000) {
      await this.stop({ mode: 'fast' });
      await this.start({ asStandby: true, ...(target ? { follow: target } : {}) });
      return 'restarted';
    }
    this.followTarget = target;
    writeConfiguration(this.context, recovery);
    process.kill(postmaster.pid, 'SIGHUP');
    return 'reloaded';
  }

  checkRewind(source: FollowTarget): Promise<RewindCheck> {
    return checkRewindNeeded(this.context, source);
  }

  /** The timeline history of `source` (the leader) over a replication connection; see timeline-history.ts. */
  timelineHistory(source: FollowTarget, timeoutMs: number): Promise<TimelineHistory> {
    return readTimelineHistory(this.context, source, timeoutMs);
  }

  async rewind(source: FollowTarget): Promise<RewindOutcome> {
    if (livePostmaster(this.dataDir)) await this.stop({ mode: 'fast', checkpoint: false });
    return rewind(this.context, source);
  }

  /** Single-user crash recovery so pg_control says `shut down` (needed before pg_rewind). */
  crashRecovery(): Promise<void> {
    return runCrashRecovery(this.context);
  }

  /**
   * pg_wal_replay_resume(). Patroni calls it whenever replay is paused outside
   * maintenance mode: a standby paused by a shared-memory parameter the
   * primary raised then shuts down, and the next start takes the higher value
   * from pg_control (and reports it as pending restart).
   */
  async resumeWalReplay(): Promise<void> {
    await this.context.local.query('SELECT pg_catalog.pg_wal_replay_resume()');
  }

  async checkpoint(): Promise<void> {
    await withClient(this.localSettings({ statementTimeoutMs: this.context.options.pg_ctl_timeout * 1000 }), (client) => client.query('CHECKPOINT'));
  }

  /** Plans from this cycle's observation first: no query when the slots are as desired. */
  async syncReplicationSlots(desired: DesiredSlots): Promise<SlotSyncOutcome> {
    const observed = this.context.observedSlots;
    const outcome = await syncReplicationSlots(this.context, desired, observed);
    if (outcome.created.length + outcome.dropped.length + outcome.advanced.length > 0) this.context.observedSlots = undefined;
    return outcome;
  }

  /**
   * Copy logical slots from the primary to this replica (spec/postgres.md
   * §slots): read their `state` files there, stop, write them into
   * pg_replslot, start again following the same node. The names copied.
   */
  async copyLogicalSlots(slots: readonly LogicalSlotSpec[], source: FollowTarget): Promise<string[]> {
    this.context.observedSlots = undefined;
    const read = await readLogicalSlotStates(this.context, slots, source);
    // A slot whose restart_lsn lies before our oldest WAL would be useless here (and the copy
    // costs a restart): wait until the primary's slot has moved past it.
    const [size] = await this.context.local.query<{ bytes: string }>("SELECT setting AS bytes FROM pg_catalog.pg_settings WHERE name = 'wal_segment_size'");
    const oldest = size === undefined ? undefined : oldestLocalWal(this.dataDir, Number(size.bytes));
    const states = read.filter((state) => oldest === undefined || state.restartLsn === undefined || state.restartLsn >= oldest);
    const waiting = read.filter((state) => !states.includes(state)).map((state) => state.name);
    if (waiting.length > 0) this.context.logger.info({ slots: waiting }, "not copying logical slots yet: they need WAL older than this replica's");
    if (states.length === 0) return [];
    const follow = this.currentFollowTarget();
    await this.stop({ mode: 'fast' });
    // The shutdown restartpoint may have removed more WAL: look again before writing.
    const after = size === undefined ? undefined : oldestLocalWal(this.dataDir, Number(size.bytes));
    const fitting = states.filter((state) => after === undefined || state.restartLsn === undefined || state.restartLsn >= after);
    writeLogicalSlotStates(this.context, fitting);
    await this.start({ asStandby: true, ...(follow ? { follow } : {}) });
    const names = fitting.map((state) => state.name);
    this.context.logger.info({ slots: names, from: source.name }, 'copied logical replication slots from the primary');
    return names;
  }

  async removeDataDirectory(options: { readonly rename?: boolean } = {}): Promise<void> {
    if (livePostmaster(this.dataDir)) throw new PgwardenError('pg-running', 'refusing to remove the data directory of a running PostgreSQL');
    removeDataDirectory(this.dataDir, options);
  }

  /** Close the local connection and the watch; PostgreSQL keeps running. */
  async close(): Promise<void> {
    this.tracker.close();
    await this.context.local.close();
  }

  private currentFollowTarget(): FollowTarget | undefined {
    return this.followTarget;
  }

  private async waitForPrimary(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const local = await this.observe();
      if (local.accepting && !local.inRecovery) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new PgwardenError('pg-start-timeout', `PostgreSQL did not become a primary within ${timeoutMs / 1000} s`);
  }

  private setState(state: PostgresState): void {
    if (this.context.state === state) return;
    this.context.state = state;
    this.context.emit({ type: 'state', state });
  }
}
