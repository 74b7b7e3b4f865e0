/**
 * What an adapter's test hands to the DCS contract suite: a way to build the
 * adapter for one member of one cluster against the real server the test
 * started, raw access to the server's keys (for the compatibility cases and
 * to plant bad values), and control over the servers (for outage cases).
 */
import type { Dcs, DcsTimings } from '@pgwarden/core';

export interface ContractMember {
  /** Cluster scope; every case uses a fresh one so cases never see each other's keys. */
  readonly scope: string;
  readonly name: string;
  readonly timings: DcsTimings;
  /** Milliseconds since the epoch; the adapter reads `renewedAtMs` from it. */
  readonly clock: () => number;
}

export interface DcsContractHarness {
  /** Backend name the adapter reports (`etcd3`, `consul`). */
  readonly backend: string;
  /**
   * Short timings the server supports, used by every case unless it says
   * otherwise. ttl must be at least 2 s (etcd's minimum lease is about 1 s).
   */
  readonly timings: DcsTimings;
  createDcs(member: ContractMember): Dcs | Promise<Dcs>;
  /** Raw value of `<prefix of scope>/<relativeKey>`, undefined when absent. */
  readRaw(scope: string, relativeKey: string): Promise<string | undefined>;
  /** Write a raw value (no lease): lets the suite plant values Patroni or a broken tool wrote. */
  writeRaw(scope: string, relativeKey: string, value: string): Promise<void>;
  /** Server processes, for outage cases; cases needing more servers than exist are skipped. */
  readonly servers: {
    readonly count: number;
    stop(index: number): Promise<void>;
    start(index: number): Promise<void>;
  };
  /** Stop the servers and everything else the harness started. */
  close(): Promise<void>;
}

export interface ContractSuiteOptions {
  /** Skip the cases that stop servers (e.g. a shared server). */
  readonly skipOutages?: boolean;
  /**
   * A known bug of this adapter, by case name: the case is reported as skipped
   * with the reason, so it stays visible until fixed. Never for a case that
   * passes.
   */
  readonly knownBugs?: Readonly<Record<string, string>>;
}
