/**
 * The cluster as read from the DCS in one snapshot (spec/dcs.md §1, §2.1).
 *
 * Values are parsed leniently, as Patroni parses them: an unparsable member
 * value yields empty data, an unparsable config yields empty data with
 * modifyVersion 0 (so that it is ignored), an absent or unparsable history
 * yields timeline 0. Keys are written byte-for-byte as Patroni writes them by
 * the adapters; these types are what every package reasons about.
 */
import { z } from 'zod';

/** Role published in a member key. `master` is Patroni 3.x's spelling, read as `primary`. */
export const memberRoleSchema = z.enum([
  'primary',
  'master',
  'replica',
  'standby_leader',
  'uninitialized',
  'promoted',
  'demoted',
  'sync_standby',
  'quorum_standby',
]);
export type MemberRole = z.infer<typeof memberRoleSchema>;

/** Tags as published: boolean tags only when true; other values as configured. */
export const memberTagsSchema = z
  .object({
    nofailover: z.boolean().optional(),
    noloadbalance: z.boolean().optional(),
    nosync: z.boolean().optional(),
    nostream: z.boolean().optional(),
    clonefrom: z.boolean().optional(),
    replicatefrom: z.string().optional(),
    failover_priority: z.number().int().optional(),
    sync_priority: z.number().int().optional(),
  })
  .catchall(z.unknown());
export type MemberTags = z.infer<typeof memberTagsSchema>;

/** The JSON value of `members/<name>` (spec/dcs.md §1.1). Unknown fields are kept. */
export const memberDataSchema = z
  .object({
    conn_url: z.string().optional(),
    api_url: z.string().optional(),
    proxy_url: z.string().optional(),
    state: z.string().optional(),
    role: z.string().optional(),
    version: z.string().optional(),
    xlog_location: z.number().int().nonnegative().optional(),
    replication_state: z.string().optional(),
    timeline: z.number().int().optional(),
    tags: memberTagsSchema.optional(),
    pending_restart: z.boolean().optional(),
    pending_restart_reason: z.record(z.object({ old_value: z.string(), new_value: z.string() })).optional(),
    scheduled_restart: z.record(z.unknown()).optional(),
    checkpoint_after_promote: z.boolean().optional(),
    pause: z.boolean().optional(),
  })
  .passthrough();
export type MemberData = z.infer<typeof memberDataSchema>;

export interface Member {
  readonly name: string;
  /** Modification index/revision of the member key. */
  readonly version: number;
  /** Lease id (etcd3) or session id (Consul) the key is bound to. */
  readonly session?: string;
  readonly data: MemberData;
}

export interface Leader {
  readonly name: string;
  /** Modification index/revision of the leader key. */
  readonly version: number;
  readonly session?: string;
}

/** `/failover`: the candidate field is `member`; `{}` means no request. */
export const failoverValueSchema = z
  .object({
    leader: z.string().optional(),
    member: z.string().optional(),
    scheduled_at: z.string().optional(),
  })
  .passthrough();
export type FailoverValue = z.infer<typeof failoverValueSchema>;

export interface Failover {
  readonly version: number;
  readonly leader?: string;
  readonly candidate?: string;
  /** ISO-8601 with a timezone, as written. */
  readonly scheduledAt?: string;
}

/** `/sync`: sync_standby is a sorted comma-joined list or null. */
export const syncValueSchema = z
  .object({
    leader: z.string().nullable().optional(),
    sync_standby: z.string().nullable().optional(),
    quorum: z.number().int().optional(),
  })
  .passthrough();
export type SyncValue = z.infer<typeof syncValueSchema>;

export interface SyncState {
  readonly version: number;
  readonly leader?: string;
  /** Names as written; compare case-insensitively. */
  readonly syncStandbys: readonly string[];
  readonly quorum?: number;
}

/** One `/history` line: [timeline that ended, fork LSN, reason, timestamp?, new leader?]. */
export const historyLineSchema = z.tuple([z.number().int(), z.number().int(), z.string()]).rest(z.union([z.string(), z.null()]));
export type HistoryLine = z.infer<typeof historyLineSchema>;

export interface TimelineHistory {
  readonly version: number;
  readonly lines: readonly HistoryLine[];
}

/** `/status`: the leader's last WAL position and permanent slot positions. */
export const statusValueSchema = z
  .object({
    optime: z.number().int().nonnegative().optional(),
    slots: z.record(z.number().int()).optional(),
    retain_slots: z.array(z.string()).optional(),
  })
  .passthrough();
export type StatusValue = z.infer<typeof statusValueSchema>;

export interface ClusterConfig {
  readonly version: number;
  /** 0 when the stored value could not be parsed: such a config is ignored. */
  readonly modifyVersion: number;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface Cluster {
  /** `initialize`: undefined when absent, "" while bootstrapping, else the system identifier. */
  readonly initialize?: string;
  readonly config?: ClusterConfig;
  readonly leader?: Leader;
  readonly members: readonly Member[];
  readonly failover?: Failover;
  readonly sync?: SyncState;
  readonly history?: TimelineHistory;
  /** Last WAL position published by the leader (from `/status`, else `optime/leader`). */
  readonly lastLsn: number;
  readonly slots?: Readonly<Record<string, number>>;
  /** `/status` retain_slots: member slot names the leader keeps (Patroni 4 member_slots_ttl). */
  readonly retainSlots?: readonly string[];
  /** `/failsafe`: member name → api_url. */
  readonly failsafe?: Readonly<Record<string, string>>;
}

/** The cluster with nothing in it: what a fresh DCS holds. */
export const emptyCluster: Cluster = { members: [], lastLsn: 0 };
