/**
 * What the runtime is built from and what it hands out after each cycle.
 */
import type {
  Cluster,
  DecideInput,
  DecideResult,
  Dcs,
  HaSettings,
  LocalPostgres,
  MemberData,
  OperatorRequests,
  RunningAction,
  SelfIdentity,
} from '@pgwarden/core';
import type { AgentLogger } from '../logger.js';
import type { CycleMetricsView } from './cycle-metrics.js';
import type { PrimaryRoleName } from './member-data.js';
import type { CallbackPort, Clock, PeerPort, PostgresPort, WatchdogPort } from '../ports.js';

export type DecideFunction<TMemory> = (input: DecideInput<TMemory>) => DecideResult<TMemory>;

export interface RuntimeOptions<TMemory> {
  readonly self: SelfIdentity;
  readonly dcs: Dcs;
  readonly postgres: PostgresPort;
  readonly peers: PeerPort;
  readonly callbacks: CallbackPort;
  readonly watchdog: WatchdogPort;
  readonly logger: AgentLogger;
  readonly clock?: Clock;
  readonly decide: DecideFunction<TMemory>;
  readonly initialMemory: TMemory;
  /** The effective HA settings for this cycle, from the cluster's `/config` (or the last good one). */
  readonly settings: (cluster: Cluster | undefined) => HaSettings;
  /** Carry a confirmed lock renewal into decide()'s memory (its time is not memory: it is passed as `lockRenewedAtMs`). */
  readonly recordLockRenewal?: (memory: TMemory) => TMemory;
  /** A new `/config` was read (its modification version changed): apply it to PostgreSQL. */
  readonly onDynamicConfig?: (config: NonNullable<Cluster['config']>) => Promise<void>;
  /** SIGHUP / POST /reload: re-read the local configuration. */
  readonly reloadLocalConfig?: () => Promise<void>;
  /**
   * After each decision, before its actions: keep what of the memory must
   * outlive this agent (the agent: `knownMembers` in a file beside the data
   * directory). It must not block: a write it starts runs on its own.
   */
  readonly keepMemory?: (memory: TMemory) => void;
  /** Whether the memory says failsafe mode keeps us (or our leader) running. */
  readonly isFailsafeActive?: (memory: TMemory) => boolean;
  /** The dynamic configuration this member would publish when the cluster has no `/config` (decide() writes it). */
  readonly dynamicConfig?: () => Readonly<Record<string, unknown>>;
  /** Called once when shutdown begins, before PostgreSQL is stopped and the DCS closed (stop side services). */
  readonly beforeShutdown?: () => Promise<void>;
  /** After each cycle: hand the snapshot to the REST API (and anyone else watching). */
  readonly publish?: (snapshot: CycleSnapshot) => void;
  /**
   * A demotion cancels the background action in progress and takes its slot
   * (default true, DESIGN invariant 1). false makes it wait like any other
   * action ("... is already in progress"): only the simulator's runtime
   * mutant sets it, to prove that its checks catch the difference.
   */
  readonly preemptForDemotion?: boolean;
  /**
   * A promotion or a start as primary begins only while the lock is ours by
   * our clock (Leadership.writableAllowed; default true, DESIGN invariant 1).
   * false drops that check: only the simulator's mutants set it, to prove
   * that its checks catch what the check prevents.
   */
  readonly fenceWritable?: boolean;
  /**
   * A race decided on a snapshot read a ttl or more ago does not take the
   * key (default true). false drops that check: only the simulator's
   * variants set it, to show what the check prevents.
   */
  readonly refuseStaleRace?: boolean;
  /** The pending scheduled restart in its member-key form, published with every member-key write. */
  readonly scheduledRestart?: () => Readonly<Record<string, unknown>> | undefined;
  /** The role word of a primary in the member key and the snapshot (`master` under pgwarden.patroni3_compat). */
  readonly primaryRole?: PrimaryRoleName;
}

/** What one cycle saw and decided: the REST API serves from the latest one. */
export interface CycleSnapshot {
  readonly atMs: number;
  readonly cycle: number;
  readonly self: SelfIdentity;
  readonly settings: HaSettings;
  /** undefined when the DCS could not be read this cycle. */
  readonly cluster: Cluster | undefined;
  /** When the cluster was last read successfully. */
  readonly clusterReadAtMs: number | undefined;
  readonly local: LocalPostgres;
  readonly member: MemberData;
  readonly state: string;
  readonly role: string;
  readonly message: string;
  readonly ruleId: string;
  readonly running: RunningAction | undefined;
  /** The DCS confirmed our lock at this time (ms); undefined when we do not hold it. */
  readonly lockRenewedAtMs: number | undefined;
  readonly watchdogFailed: boolean;
  /** The decision marked our history as diverged from the leader's and unrepaired. */
  readonly diverged: boolean;
  readonly pendingRequests: OperatorRequests;
  readonly failsafeActive: boolean;
  /** When the next cycle is due at the latest (epoch ms). */
  readonly nextCycleAtMs: number | undefined;
  readonly metrics: CycleMetricsView;
}
