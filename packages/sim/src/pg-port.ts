/**
 * The `PostgresPort` of one member over the model PostgreSQL. Quick
 * operations change the model at once; long ones begin at once (a stop or
 * a restart stops taking writes immediately) and complete after a virtual
 * duration (longer while the member is slow). An operation that changes
 * the postmaster supersedes one begun earlier: the earlier one then fails
 * without effect (a demotion's stop kills what a preempted restart
 * started). A cancelled clone or rewind never starts a postmaster.
 */
import type { FollowTarget, LocalPostgres, ReplicationConnection, StopMode } from '@pgwarden/core';
import type { LongOperationOptions, PostgresPort } from '@pgwarden/daemon';
import { checkConfirmedWrites, checkPromotionStart } from './checks.js';
import { bootstrapPg, copyFrom, isNamedSync, isWritablePrimary, observePg, promotePg, receiveWal, startPg, stopPg } from './model-postgres.js';
import type { SimMember, World } from './world.js';
import { durationWithSlowness, linked, machineUp, memberByName, netCutBetween, nowMs, processOwner, record } from './world.js';
import type { EventOwner } from './scheduler.js';

type Operation = 'bootstrap' | 'create-replica' | 'reinitialize' | 'start' | 'stop' | 'restart' | 'promote' | 'rewind' | 'crash-recovery' | 'checkpoint';

/** Virtual durations [min, max] in ms (×6 while the member is slow). */
export const DURATION_MS: Readonly<Record<Operation, readonly [number, number]>> = {
  bootstrap: [3000, 6000],
  'create-replica': [4000, 12000],
  reinitialize: [4000, 12000],
  start: [1000, 4000],
  stop: [200, 1000],
  restart: [2000, 5000],
  promote: [500, 2000],
  rewind: [2000, 6000],
  'crash-recovery': [2000, 5000],
  checkpoint: [200, 800],
};

export function hostOf(world: World, name: string): string {
  return memberByName(world, name)?.host ?? `${name}:5432`;
}

function replicationRows(world: World, member: SimMember): ReplicationConnection[] {
  return world.members
    .filter((other) => other !== member && other.streaming && other.pg.follow === member.name && other.pg.running)
    .map((other) => ({
      applicationName: other.name,
      state: 'streaming',
      syncState: isNamedSync(member.pg, other.name) ? (/^any\s/i.test(member.pg.synchronousStandbyNames.trim()) ? 'quorum' : 'sync') : 'async',
      syncPriority: 1,
      flushLsn: other.pg.wal.end,
    }));
}

export class SimPostgres implements PostgresPort {
  private readonly listeners = new Set<() => void>();
  /** This process's events: none fire once it is dropped. */
  private readonly owner: EventOwner;

  constructor(
    private readonly world: World,
    private readonly member: SimMember,
  ) {
    this.owner = processOwner(member);
  }

  /** The postmaster died (crash fault): tell the runtime, as the real port's process watch does. */
  postmasterExited(): void {
    this.world.scheduler.after(1, this.owner, () => {
      for (const listener of [...this.listeners]) listener();
    });
  }

  private get pg() {
    return this.member.pg;
  }

  /**
   * Begin now, complete after the operation's duration with `finish`
   * (false: failed). `supersedes`: this operation takes over the postmaster.
   */
  private operation(type: Operation, begin: () => void, finish: () => boolean, options: { supersedes: boolean; signal?: AbortSignal }): Promise<void> {
    const { world, member } = this;
    if (options.supersedes) member.pgGeneration += 1;
    const generation = member.pgGeneration;
    begin();
    const duration = durationWithSlowness(world, member, DURATION_MS[type]);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const cancel = world.scheduler.after(duration, this.owner, () => {
        settled = true;
        if (member.pgGeneration !== generation || !machineUp(member)) reject(new Error(`${type} interrupted`));
        else if (finish()) resolve();
        else reject(new Error(`${type} failed`));
      });
      options.signal?.addEventListener(
        'abort',
        () => {
          if (settled) return;
          cancel();
          world.scheduler.after(world.rng.int(50, 300), this.owner, () => reject(new Error(`${type} cancelled`)));
        },
        { once: true },
      );
    });
  }

  observe(): Promise<LocalPostgres> {
    const local = observePg(this.pg, (name) => hostOf(this.world, name), replicationRows(this.world, this.member), this.member.name);
    const pretend = this.world.variant.pretendCleanShutdown === true && local.dataDirectory === 'valid' && !local.running && !local.inRecovery;
    return Promise.resolve(pretend ? { ...local, controlState: 'shut down' } : local);
  }

  bootstrap(options?: LongOperationOptions): Promise<void> {
    const { world } = this;
    return this.operation(
      'bootstrap',
      () => undefined,
      () => {
        bootstrapPg(this.pg, `${7000000000000000000 + world.seed * 1000 + world.nextSegmentId}`, world.nextSegmentId++);
        return true;
      },
      { supersedes: true, ...(options?.signal === undefined ? {} : { signal: options.signal }) },
    );
  }

  private copySource(name: string | undefined): SimMember | undefined {
    const { world, member } = this;
    const source = memberByName(world, name);
    if (source === undefined || source === member || !machineUp(source) || !source.pg.running || source.pg.dataDirectory !== 'valid') return undefined;
    return linked(world, member.name, source.name) ? source : undefined;
  }

  private clone(type: 'create-replica' | 'reinitialize', source: FollowTarget | undefined, options?: LongOperationOptions): Promise<void> {
    return this.operation(
      type,
      () => {
        if (type === 'reinitialize') stopPg(this.pg, false);
      },
      () => {
        const from = this.copySource(source?.name);
        if (from === undefined) {
          if (type === 'reinitialize') this.pg.dataDirectory = 'empty';
          return false;
        }
        copyFrom(this.pg, from.pg, from.name);
        return true;
      },
      { supersedes: true, ...(options?.signal === undefined ? {} : { signal: options.signal }) },
    );
  }

  createReplica(source: FollowTarget | undefined, options?: LongOperationOptions): Promise<void> {
    return this.clone('create-replica', source, options);
  }

  reinitialize(source: FollowTarget | undefined, options?: LongOperationOptions): Promise<void> {
    return this.clone('reinitialize', source, options);
  }

  start(options: { asPrimary: boolean; follow?: FollowTarget }): Promise<void> {
    return this.operation(
      'start',
      () => undefined,
      () => {
        const started = startPg(this.pg, options.asPrimary, options.follow?.name);
        if (started && isWritablePrimary(this.pg)) checkConfirmedWrites(this.world, this.member);
        return started;
      },
      { supersedes: true },
    );
  }

  /**
   * Stops taking writes at once (a clean stop first ships the WAL to streaming
   * replicas); returns when shut down. After a stuck-shutdown fault the next
   * clean stop of a primary escalates instead, as pg_ctl_timeout makes it: no
   * shipping, pg_control left "in production" with its old checkpoint.
   */
  stop(options: { mode: StopMode }): Promise<void> {
    return this.operation(
      'stop',
      () => {
        const stuck = options.mode !== 'immediate' && isWritablePrimary(this.pg) && this.member.stuckShutdown === true;
        if (stuck) {
          this.member.stuckShutdown = false;
          record(this.world, `${this.member.name}: the shutdown is stuck; the stop escalates to SIGQUIT`);
        } else if (options.mode !== 'immediate' && isWritablePrimary(this.pg)) this.shipToStreamingReplicas();
        stopPg(this.pg, options.mode !== 'immediate' && !stuck);
      },
      () => true,
      { supersedes: true },
    );
  }

  private shipToStreamingReplicas(): void {
    const { world, member } = this;
    for (const other of world.members) {
      if (other.streaming && other.pg.follow === member.name && other.pg.running && linked(world, other.name, member.name)) receiveWal(other.pg, member.pg);
    }
  }

  restart(): Promise<void> {
    return this.operation(
      'restart',
      () => stopPg(this.pg, true),
      () => startPg(this.pg, !this.pg.hasRecoveryConfig, this.pg.follow),
      { supersedes: true },
    );
  }

  reload(): Promise<void> {
    return Promise.resolve();
  }

  promote(options?: { skipTimelinesThrough?: number }): Promise<void> {
    const { world, member } = this;
    return this.operation(
      'promote',
      () => {
        if (this.pg.running && this.pg.inRecovery) checkPromotionStart(world, member);
      },
      () => {
        const pg = this.pg;
        if (!pg.running || !pg.inRecovery) return pg.running;
        promotePg(pg, world.nextSegmentId++, options?.skipTimelinesThrough, new Date(nowMs(world)).toISOString());
        world.stats.promotions += 1;
        if (world.switchoverPending === true) world.stats.switchovers += 1;
        else world.stats.failovers += 1;
        world.switchoverPending = false;
        record(world, `${member.name}: PROMOTED to timeline ${pg.timeline} at ${pg.wal.end}`);
        const earlier = world.promotedTimelines.get(pg.timeline) ?? [];
        const opened = pg.wal.segments[pg.wal.segments.length - 1]?.id ?? 0;
        world.promotedTimelines.set(pg.timeline, [...earlier, { member: member.name, segmentId: opened }]);
        if (earlier.length > 0) {
          // Harmful only while a data directory (a stopped or partitioned member's too) holds WAL of an earlier one.
          const holders = world.members.filter((other) => other.pg.wal.segments.some((segment) => earlier.some((promotion) => promotion.segmentId === segment.id)));
          if (holders.length > 0) world.stats.timelinesReused += 1;
          else world.stats.timelinesReusedUnheld += 1;
          const by = [...new Set(earlier.map((promotion) => promotion.member))].join(', ');
          const left = holders.length > 0 ? `its WAL still in the data directory of ${holders.map((other) => other.name).join(', ')}` : 'none of its WAL left anywhere';
          record(world, `${member.name}: timeline ${pg.timeline} reused (${by} promoted to it before; ${left})`);
        }
        checkConfirmedWrites(world, member);
        return true;
      },
      { supersedes: false },
    );
  }

  follow(target: FollowTarget | undefined): Promise<void> {
    this.pg.follow = target?.name;
    return Promise.resolve();
  }

  rewind(source: FollowTarget, options?: LongOperationOptions): Promise<void> {
    return this.operation(
      'rewind',
      () => stopPg(this.pg, false),
      () => {
        const from = this.copySource(source.name);
        if (from === undefined) return false;
        this.pg.wal = from.pg.wal;
        this.pg.checkpointLsn = from.pg.checkpointLsn;
        this.pg.timeline = from.pg.timeline;
        this.pg.history = [...from.pg.history];
        return startPg(this.pg, false, from.name);
      },
      { supersedes: true, ...(options?.signal === undefined ? {} : { signal: options.signal }) },
    );
  }

  /** The source's history over a replication connection: refused at once when its machine or PostgreSQL is down, nothing until the timeout through a black-holed link. */
  timelineHistory(source: FollowTarget, timeoutMs: number): Promise<{ timeline: number; lines: Array<[number, number]> }> {
    const { world, member } = this;
    const peer = memberByName(world, source.name);
    const cut = peer === undefined ? undefined : netCutBetween(world, member.name, peer.name);
    const delayMs = cut !== undefined && cut.failure !== 'refused' ? timeoutMs : world.rng.int(1, 10);
    return new Promise((resolve, reject) => {
      world.scheduler.after(delayMs, this.owner, () => {
        if (peer === undefined || cut !== undefined || !machineUp(peer) || !peer.pg.running || peer.pg.dataDirectory !== 'valid' || !linked(world, member.name, peer.name)) {
          reject(new Error(`cannot read the timeline history of ${source.name ?? 'the leader'}`));
          return;
        }
        resolve({ timeline: peer.pg.timeline, lines: peer.pg.history.map((line): [number, number] => [line[0], line[1]]) });
      });
    });
  }

  crashRecovery(): Promise<void> {
    return this.operation(
      'crash-recovery',
      () => undefined,
      () => {
        this.pg.controlState = 'shut down';
        this.pg.checkpointLsn = this.pg.wal.end;
        return true;
      },
      { supersedes: true },
    );
  }

  checkpoint(): Promise<void> {
    return this.operation(
      'checkpoint',
      () => undefined,
      () => {
        if (this.pg.running && !this.pg.inRecovery) this.pg.checkpointLsn = this.pg.wal.end;
        return true;
      },
      { supersedes: false },
    );
  }

  setSynchronousStandbyNames(value: string): Promise<void> {
    // Written to the configuration: applies now, or at the next start.
    this.pg.synchronousStandbyNames = value;
    return Promise.resolve();
  }

  removeDataDirectory(): Promise<void> {
    this.member.pgGeneration += 1;
    this.pg.dataDirectory = 'empty';
    this.pg.running = false;
    return Promise.resolve();
  }

  onPostmasterExit(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
