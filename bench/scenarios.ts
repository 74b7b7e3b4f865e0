/**
 * The scenarios, measured from the client's side with the wall clock. One
 * "session" is one run of every selected scenario for one implementation:
 *
 *   cluster at ttl 30 / loop_wait 10 / retry_timeout 10 (Patroni's defaults):
 *     bootstrap → idle → idle-haproxy → rest-throughput → switchover-direct →
 *     switchover-haproxy → postmaster-crash → failover-default (kills the
 *     leader, so it comes last), then the cluster is stopped;
 *   a fresh cluster at ttl 5 / loop_wait 1 / retry_timeout 1: failover-fast.
 *
 * Between scenarios the cluster is brought back to healthy (one primary,
 * two standbys streaming from it) and that wait is not measured.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createEtcdDcs } from '@pgwarden/dcs-etcd';
import { renderHaproxyConfig } from '@pgwarden/haproxy-gen';
import { clusterPasswords, getFreePorts, makeTempDir, startHaproxy, waitUntil, type HaproxyInstance, type PgwardenCluster, type PgwardenMember, type TempDir } from '@pgwarden/testkit';
import { ReadWriteWriter, type WriterHost, type WriterReport } from '../packages/daemon/test/e2e/writer.js';
import { StandingWriter, type StandingWriterReport } from './standing-writer.js';
import { DEFAULT_TIMINGS, FAST_TIMINGS, repositoryRoot, type Implementation, type Timings } from './implementations.js';
import { alive, cpuTicks, etcdHandledTotal, primaries, processTree, pssKiB, query, queryPort, rssAnonKiB, rssKiB, sleep, streamingStandbys, waitHealthy } from './probes.js';

export const SCENARIOS = ['bootstrap', 'switchover-direct', 'switchover-haproxy', 'failover-default', 'failover-fast', 'postmaster-crash', 'idle', 'idle-haproxy', 'rest-throughput', 'rest-backlog'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** One row of the table: a figure that a scenario yields once per run. */
export interface Metric {
  readonly scenario: Scenario;
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  /** Decimals shown. */
  readonly digits: number;
}

/**
 * The backlog of the rest-backlog scenario. `request_queue_size` defaults to
 * 5 (Patroni's, and Patroni 3.0.2's fixed value): 16 clients connecting at
 * once overflow it and the extra connections wait for a TCP retransmission
 * (~200 ms), which is what rest-throughput's p99 shows for both agents.
 */
const RAISED_BACKLOG = 128;

export const METRICS: readonly Metric[] = [
  { scenario: 'bootstrap', key: 'bootstrap', label: 'bootstrap: start → writable leader + 2 streaming', unit: 's', digits: 1 },
  { scenario: 'switchover-direct', key: 'switchover-direct.gap', label: 'switchover-direct: longest write gap (reconnecting writer)', unit: 'ms', digits: 0 },
  { scenario: 'switchover-direct', key: 'switchover-direct.refused', label: 'switchover-direct: no member took writes (standing sessions)', unit: 'ms', digits: 0 },
  { scenario: 'switchover-direct', key: 'switchover-direct.rejoin', label: 'switchover-direct: POST → old primary streaming from new', unit: 's', digits: 1 },
  { scenario: 'switchover-haproxy', key: 'switchover-haproxy.gap', label: 'switchover-haproxy: longest write gap through HAProxy', unit: 'ms', digits: 0 },
  { scenario: 'failover-default', key: 'failover-default.gap', label: 'failover-default (30/10/10): longest write gap', unit: 'ms', digits: 0 },
  { scenario: 'failover-default', key: 'failover-default.writable', label: 'failover-default (30/10/10): kill → new primary writable', unit: 'ms', digits: 0 },
  { scenario: 'failover-default', key: 'failover-default.lost', label: 'failover-default (30/10/10): acknowledged writes lost', unit: 'count', digits: 0 },
  { scenario: 'failover-fast', key: 'failover-fast.gap', label: 'failover-fast (5/1/1): longest write gap', unit: 'ms', digits: 0 },
  { scenario: 'failover-fast', key: 'failover-fast.writable', label: 'failover-fast (5/1/1): kill → new primary writable', unit: 'ms', digits: 0 },
  { scenario: 'failover-fast', key: 'failover-fast.lost', label: 'failover-fast (5/1/1): acknowledged writes lost', unit: 'count', digits: 0 },
  { scenario: 'postmaster-crash', key: 'postmaster-crash.gap', label: 'postmaster-crash: longest write gap (leader writable again)', unit: 'ms', digits: 0 },
  { scenario: 'idle', key: 'idle.rss', label: 'idle: agent RSS (median of 3 members)', unit: 'MiB', digits: 1 },
  { scenario: 'idle', key: 'idle.rss-anon', label: 'idle: agent anonymous RSS (RssAnon)', unit: 'MiB', digits: 1 },
  { scenario: 'idle', key: 'idle.pss', label: 'idle: agent PSS', unit: 'MiB', digits: 1 },
  { scenario: 'idle', key: 'idle.cpu', label: 'idle: agent CPU, 2nd minute (median of 3 members)', unit: 'CPU-s/min', digits: 2 },
  { scenario: 'idle', key: 'idle.cpu-steady', label: 'idle: agent CPU, 4th minute (median of 3 members)', unit: 'CPU-s/min', digits: 2 },
  { scenario: 'idle', key: 'idle.etcd', label: 'idle: etcd gRPC requests of the 3 agents', unit: 'req/min', digits: 0 },
  { scenario: 'idle-haproxy', key: 'idle-haproxy.cpu', label: 'idle-haproxy: agent CPU under HAProxy\'s checks (median of 3 members)', unit: 'CPU-s/min', digits: 2 },
  { scenario: 'rest-throughput', key: 'rest.rps', label: 'rest-throughput: OPTIONS /primary on the leader', unit: 'req/s', digits: 0 },
  { scenario: 'rest-throughput', key: 'rest.p99', label: 'rest-throughput: p99 latency', unit: 'ms', digits: 2 },
  { scenario: 'rest-backlog', key: 'rest-backlog.rps', label: `rest-backlog: OPTIONS /primary, request_queue_size ${RAISED_BACKLOG}`, unit: 'req/s', digits: 0 },
  { scenario: 'rest-backlog', key: 'rest-backlog.p99', label: 'rest-backlog: p99 latency', unit: 'ms', digits: 2 },
];

export interface SessionContext {
  readonly implementation: Implementation;
  readonly selected: ReadonlySet<Scenario>;
  /** Record one run's figure of a metric (by key). */
  record(key: string, value: number): void;
  /** A remark for the notes under the table. */
  note(text: string): void;
  /** One run of this scenario failed (its figures are missing for that run). */
  failed(scenario: Scenario): void;
  log(text: string): void;
  /** Something to stop if the benchmark is interrupted; returns the unregister function. */
  guard(stop: () => Promise<void>): () => void;
}

const WRITE_TABLE = 'bench_writes';
const PROBE_TABLE = 'bench_probe';
const credentials = { user: clusterPasswords.superuser.username, password: clusterPasswords.superuser.password };
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
};

const memberHosts = (cluster: PgwardenCluster): WriterHost[] => cluster.members.map((member) => ({ port: member.pgPort }));

/** Start a cluster's agents all at once; resolves with the milliseconds until one writable leader with 2 streaming standbys. */
async function bootCluster(context: SessionContext, timings: Timings): Promise<{ cluster: PgwardenCluster; unguard: () => void; bootMs: number }> {
  const cluster = await context.implementation.prepare(timings);
  const unguard = context.guard(() => cluster.stop());
  try {
    const startedAt = performance.now();
    await Promise.all(cluster.members.map((member) => member.start()));
    const leader = await waitHealthy(cluster, 180_000);
    const bootMs = Math.round(performance.now() - startedAt);
    await query(leader, `CREATE TABLE IF NOT EXISTS ${WRITE_TABLE} (id bigint PRIMARY KEY)`);
    await query(leader, `CREATE TABLE IF NOT EXISTS ${PROBE_TABLE} (id bigint PRIMARY KEY)`);
    return { cluster, unguard, bootMs };
  } catch (error) {
    await stopCluster(cluster, unguard);
    throw error;
  }
}

async function stopCluster(cluster: PgwardenCluster, unguard: () => void): Promise<void> {
  try {
    await cluster.stop();
  } finally {
    unguard();
  }
}

/**
 * Run `action` while a ReadWriteWriter writes one row per INSERT; the
 * writer is always stopped. `settled` resolves once the action's effect is
 * over (a new primary took writes); then 50 more writes are awaited.
 */
async function underWrites<T>(hosts: readonly WriterHost[], action: (writer: ReadWriteWriter) => Promise<T>): Promise<{ result: T; report: WriterReport }> {
  const writer = new ReadWriteWriter(hosts, credentials, WRITE_TABLE);
  writer.start();
  let report: WriterReport | undefined;
  try {
    await waitUntil(() => writer.count >= 50, { timeoutMs: 30_000, what: '50 writes before the event' });
    const result = await action(writer);
    const count = writer.count;
    await waitUntil(() => writer.count >= count + 50, { timeoutMs: 120_000, intervalMs: 20, what: '50 writes after the event' });
    report = await writer.stop();
    return { result, report };
  } finally {
    if (report === undefined) await writer.stop();
  }
}

async function lostWrites(primary: PgwardenMember, acknowledged: readonly number[]): Promise<number> {
  const stored = new Set((await query<{ id: string }>(primary, `SELECT id FROM ${WRITE_TABLE}`)).map((row) => Number(row.id)));
  return acknowledged.filter((id) => !stored.has(id)).length;
}

/**
 * A switchover as an operator asks for it: once the leader's GET /cluster
 * lists every member running or streaming and the leader's PostgreSQL sees
 * every other member streaming, POST /switchover to the leader. The second
 * condition matters for Patroni 3.0.2, whose /cluster says `running` of a
 * standby that is not streaming: seconds after its bootstrap it points each
 * standby at a replication slot it creates on the leader only a loop later,
 * so for up to loop_wait no standby streams. A switchover in that window
 * promoted a candidate that lacked the old primary's last writes (lost
 * acknowledged writes in 4 of 8 runs, and 3 of 4 in a probe: the writes of
 * the ~0.9 s before the shutdown, the candidate's PostgreSQL log showing
 * `replication slot "node1" does not exist`, 2026-12-07). Both agents are
 * measured on a cluster that streams; pgwarden's leader waits for its
 * candidate to stream before it demotes (core: manual-failover.ts).
 * A 412/503 (the agent sees no good candidate yet; nothing happened) is
 * asked again every 500 ms for up to 60 s; resolves with the time of the
 * accepted request.
 */
async function requestSwitchover(context: SessionContext, cluster: PgwardenCluster, leader: PgwardenMember, candidate: PgwardenMember): Promise<number> {
  await waitUntil(async () => {
    const members = (await leader.request('GET', '/cluster')).json<{ members?: { state?: string }[] }>().members ?? [];
    return members.length === 3 && members.every((member) => ['running', 'streaming'].includes(member.state ?? ''));
  }, { timeoutMs: 60_000, intervalMs: 250, what: 'GET /cluster listing 3 members running' });
  const others = cluster.members.filter((member) => member !== leader).map((member) => member.name);
  await waitUntil(async () => {
    const streaming = await streamingStandbys(leader);
    return others.every((name) => streaming.includes(name));
  }, { timeoutMs: 60_000, intervalMs: 100, what: `${others.join(', ')} streaming from ${leader.name}` });
  const deadline = performance.now() + 60_000;
  for (let attempt = 1; ; attempt++) {
    const startedAt = performance.now();
    const answer = await leader.request('POST', '/switchover', { leader: leader.name, candidate: candidate.name });
    if (answer.status === 200) {
      if (attempt > 1) context.note(`switchover: ${context.implementation.name} refused the request (412/503) before accepting it at attempt ${attempt} in one run; only the accepted one is timed`);
      return startedAt;
    }
    if (![412, 503].includes(answer.status) || performance.now() > deadline) throw new Error(`POST /switchover answered ${answer.status}: ${answer.body}`);
    context.log(`POST /switchover answered ${answer.status} (${answer.body.trim()}); asking again`);
    await sleep(500);
  }
}

/**
 * Two switchovers, each watched by one kind of client so that neither loads
 * the servers while the other measures. First the reconnecting writer alone
 * (the client's gap, and no acknowledged write lost). Then the standing
 * sessions alone (the servers' gap, and POST → old primary streaming): run
 * together, the writer's reconnects during the switchover (every member
 * tried every 50 ms, a backend forked for each) roughly doubled the servers'
 * own gap on this 2-core machine, 293–355 ms against 161–165 ms (probe,
 * 2026-12-07), so the one figure measured the other's load.
 */
async function switchoverDirect(context: SessionContext, cluster: PgwardenCluster): Promise<void> {
  const first = await waitHealthy(cluster);
  await query(first, `TRUNCATE ${WRITE_TABLE}`);
  const firstCandidate = cluster.members.find((member) => member !== first)!;
  const { report } = await underWrites(memberHosts(cluster), async () => {
    await requestSwitchover(context, cluster, first, firstCandidate);
    await waitUntil(async () => (await streamingStandbys(firstCandidate)).includes(first.name), { timeoutMs: 180_000, intervalMs: 100, what: `${first.name} streaming from ${firstCandidate.name}` });
  });
  context.record('switchover-direct.gap', report.longestGapMs);
  const lost = await lostWrites(firstCandidate, report.acknowledged);
  if (lost > 0) context.note(`switchover-direct: ${context.implementation.name} lost ${lost} acknowledged writes in one run`);
  context.log(`switchover ${first.name} → ${firstCandidate.name}: reconnecting writer's gap ${report.longestGapMs} ms`);

  const leader = await waitHealthy(cluster);
  const candidate = cluster.members.find((member) => member !== leader)!;
  const standing = new StandingWriter(cluster.members.map((member) => member.pgPort), credentials, WRITE_TABLE, 1_000_000_000);
  let refused: StandingWriterReport | undefined;
  let rejoinMs = 0;
  await standing.start();
  try {
    await sleep(500);
    const startedAt = await requestSwitchover(context, cluster, leader, candidate);
    await waitUntil(async () => (await streamingStandbys(candidate)).includes(leader.name), { timeoutMs: 180_000, intervalMs: 100, what: `${leader.name} streaming from ${candidate.name}` });
    rejoinMs = Math.round(performance.now() - startedAt);
    await sleep(500);
  } finally {
    refused = await standing.stop();
  }
  context.record('switchover-direct.refused', refused.longestGapMs);
  context.record('switchover-direct.rejoin', rejoinMs / 1000);
  context.log(`switchover ${leader.name} → ${candidate.name}: no member took writes for ${refused.longestGapMs} ms (standing sessions), old primary streaming after ${rejoinMs} ms`);
}

interface Proxy {
  readonly primaryPort: number;
  stop(): Promise<void>;
}

/** Which PostgreSQL (port) a fresh session through `port` reaches, and whether it is a primary. */
async function whoServes(port: number): Promise<{ port: number; primary: boolean } | undefined> {
  try {
    const rows = await queryPort<{ port: string; recovery: boolean }>(port, "SELECT current_setting('port') AS port, pg_is_in_recovery() AS recovery");
    return rows[0] === undefined ? undefined : { port: Number(rows[0].port), primary: !rows[0].recovery };
  } catch {
    return undefined;
  }
}

/**
 * HAProxy in front of the cluster, its configuration rendered by
 * haproxy-gen (default health checks) from the cluster as etcd holds it.
 * Membership does not change during the benchmark, so no watcher runs.
 */
async function startProxy(context: SessionContext, cluster: PgwardenCluster): Promise<Proxy> {
  const dir: TempDir = makeTempDir('bench-haproxy');
  const [primaryPort = 0, replicaPort = 0] = await getFreePorts(2);
  const dcs = createEtcdDcs({ scope: cluster.scope, namespace: cluster.namespace, name: 'bench-haproxy', hosts: [...cluster.etcd.endpoints], retryTimeoutSeconds: 5 });
  let haproxy: HaproxyInstance | undefined;
  try {
    const read = await dcs.getCluster();
    if (!read.ok) throw new Error(`cannot read the cluster from etcd: ${read.message}`);
    const configPath = join(dir.path, 'haproxy.cfg');
    writeFileSync(configPath, renderHaproxyConfig(read.value, { clusterName: cluster.scope, bindAddress: '127.0.0.1', primary: { port: primaryPort }, replicas: { port: replicaPort } }));
    haproxy = await startHaproxy({ configPath });
  } catch (error) {
    dir.remove();
    throw error;
  } finally {
    await dcs.close().catch(() => undefined);
  }
  const started = haproxy;
  const stop = async (): Promise<void> => {
    await started.stop().catch(() => undefined);
    dir.remove();
  };
  const unguard = context.guard(stop);
  // A fresh HAProxy deems every server up until its first check: wait until 5 sessions in a row reach the primary.
  const leader = await waitHealthy(cluster);
  let inARow = 0;
  await waitUntil(async () => {
    const served = await whoServes(primaryPort);
    inARow = served?.port === leader.pgPort && served.primary ? inARow + 1 : 0;
    return inARow >= 5;
  }, { timeoutMs: 30_000, intervalMs: 100, what: 'HAProxy routing to the primary' });
  return {
    primaryPort,
    async stop() {
      unguard();
      await stop();
    },
  };
}

async function switchoverHaproxy(context: SessionContext, cluster: PgwardenCluster): Promise<void> {
  const proxy = await startProxy(context, cluster);
  try {
    const leader = await waitHealthy(cluster);
    await query(leader, `TRUNCATE ${WRITE_TABLE}`);
    const candidate = cluster.members.find((member) => member !== leader)!;
    const { report } = await underWrites([{ port: proxy.primaryPort }], async () => {
      await requestSwitchover(context, cluster, leader, candidate);
      await waitUntil(async () => (await whoServes(proxy.primaryPort))?.port === candidate.pgPort, { timeoutMs: 120_000, intervalMs: 100, what: `HAProxy routing to ${candidate.name}` });
    });
    context.record('switchover-haproxy.gap', report.longestGapMs);
    context.log(`switchover through HAProxy ${leader.name} → ${candidate.name}: gap ${report.longestGapMs} ms`);
  } finally {
    await proxy.stop();
  }
}

async function postmasterCrash(context: SessionContext, cluster: PgwardenCluster): Promise<void> {
  const leader = await waitHealthy(cluster);
  await query(leader, `TRUNCATE ${WRITE_TABLE}`);
  const { report } = await underWrites(memberHosts(cluster), async () => {
    await leader.killPostmaster('SIGKILL');
    await waitUntil(async () => (await primaries(cluster)).length === 1, { timeoutMs: 180_000, intervalMs: 50, what: 'a primary after the postmaster crash' });
  });
  const now = await primaries(cluster);
  context.record('postmaster-crash.gap', report.longestGapMs);
  if (now[0] !== leader) context.note(`postmaster-crash: ${context.implementation.name} failed over to ${now[0]?.name} instead of restarting in place in one run`);
  context.log(`postmaster crash on ${leader.name}: gap ${report.longestGapMs} ms, primary now ${now.map((member) => member.name).join(',')}`);
}

/** Host death: the leader's agent, postmaster and every process below them SIGKILLed at once, a writer running. */
async function failover(context: SessionContext, cluster: PgwardenCluster, prefix: 'failover-default' | 'failover-fast', timeoutMs: number): Promise<void> {
  const leader = await waitHealthy(cluster);
  await query(leader, `TRUNCATE ${WRITE_TABLE}`);
  let writableMs = 0;
  let next: PgwardenMember | undefined;
  const { report } = await underWrites(memberHosts(cluster), async () => {
    const victims = processTree([leader.agentPid()!, leader.postmasterPid()!]);
    const startedAt = performance.now();
    for (const pid of victims) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await leader.kill();
    await waitUntil(() => victims.every((pid) => !alive(pid)), { timeoutMs: 10_000, intervalMs: 20, what: 'the killed processes to exit' });
    next = await waitUntil(async () => (await primaries(cluster)).find((member) => member !== leader), { timeoutMs, intervalMs: 50, what: `a new primary within ${timeoutMs / 1000} s` });
    writableMs = Math.round(performance.now() - startedAt);
  });
  const lost = await lostWrites(next!, report.acknowledged);
  context.record(`${prefix}.gap`, report.longestGapMs);
  context.record(`${prefix}.writable`, writableMs);
  context.record(`${prefix}.lost`, lost);
  context.log(`${prefix}: ${leader.name} killed, ${next!.name} primary after ${writableMs} ms, gap ${report.longestGapMs} ms, ${lost} acknowledged writes lost`);
}

/** CPU-s per minute (utime+stime, 100 ticks a second) of each process over the next `windowMs`, and the minutes it took. */
async function cpuOver(pids: readonly number[], windowMs: number): Promise<{ cpu: number[]; minutes: number }> {
  const before = pids.map(cpuTicks);
  const startedAt = performance.now();
  await sleep(windowMs);
  const minutes = (performance.now() - startedAt) / 60_000;
  return { cpu: pids.map((pid, index) => (cpuTicks(pid) - before[index]!) / 100 / minutes), minutes };
}

/**
 * Idle cost after a minute of settling: in its first half-minute a Node agent
 * still compiles code it runs for the first time and V8's memory reducer
 * compacts the heap once the start-up work is done (about 0.1 CPU-s, once).
 * CPU is measured twice, in the 2nd minute and the 4th: a new cluster is not
 * idle at once — the leader's WAL position still moves now and then for about
 * three minutes after the bootstrap (seen on this machine: etcd's revision and
 * the leader's LSN stopped moving ~3 minutes after start), and each move
 * rewrites /status and the member keys and wakes the replicas. What an
 * operator pays every minute is the later figure.
 */
async function idle(context: SessionContext, cluster: PgwardenCluster): Promise<void> {
  const settleMs = 60_000;
  const windowMs = 60_000;
  const steadyGapMs = 60_000;
  await waitHealthy(cluster);
  await sleep(settleMs);
  const pids = cluster.members.map((member) => member.agentPid()!);
  const etcdBefore = await etcdHandledTotal(cluster.etcd.endpoints[0]!);
  const { cpu, minutes } = await cpuOver(pids, windowMs);
  const rss = pids.map((pid) => rssKiB(pid) / 1024);
  const rssAnon = pids.map((pid) => rssAnonKiB(pid) / 1024);
  const pss = pids.map((pid) => pssKiB(pid) / 1024);
  const etcdAfter = await etcdHandledTotal(cluster.etcd.endpoints[0]!);
  await sleep(steadyGapMs);
  const { cpu: steadyCpu } = await cpuOver(pids, windowMs);
  context.record('idle.cpu-steady', median(steadyCpu));
  context.record('idle.rss', median(rss));
  context.record('idle.rss-anon', median(rssAnon));
  context.record('idle.pss', median(pss));
  context.record('idle.cpu', median(cpu));
  if (etcdBefore !== undefined && etcdAfter !== undefined) context.record('idle.etcd', (etcdAfter - etcdBefore) / minutes);
  const mib = (values: readonly number[]): string => values.map((value) => value.toFixed(1)).join('/');
  const perMinute = (values: readonly number[]): string => values.map((value) => value.toFixed(2)).join('/');
  context.log(`idle: RSS ${mib(rss)} MiB, RssAnon ${mib(rssAnon)} MiB, PSS ${mib(pss)} MiB, CPU ${perMinute(cpu)} CPU-s/min in the 2nd minute, ${perMinute(steadyCpu)} in the 4th`);
}

/**
 * What HAProxy's health checks cost the agents when nothing else happens.
 * haproxy-gen's default checks ask a server every second while it is up and
 * every 100 ms while it is down (downinter, so that a new primary is seen
 * within rise × 100 ms), each on a connection of its own: every member is
 * down in one of the two backends (the standbys in the primary backend, the
 * primary in the replica backend), so each is asked ~11 times a second. The
 * same configuration in front of both agents, so the figure compares what one
 * check costs each; 30 s with HAProxy running first (its first checks, the
 * agent's first answers compiled), then CPU over 60 s.
 */
async function idleHaproxy(context: SessionContext, cluster: PgwardenCluster): Promise<void> {
  const proxy = await startProxy(context, cluster);
  try {
    await sleep(30_000);
    const pids = cluster.members.map((member) => member.agentPid()!);
    const { cpu } = await cpuOver(pids, 60_000);
    context.record('idle-haproxy.cpu', median(cpu));
    context.log(`idle behind HAProxy: CPU ${cpu.map((value) => value.toFixed(2)).join('/')} CPU-s/min`);
  } finally {
    await proxy.stop();
  }
}

const WARM_UP_SECONDS = 2;

/** wrk when it is installed (`wrk -t2 -c16 -d10s`), else a Node load generator with the same shape. */
let wrkAvailable: boolean | undefined;

async function hasWrk(): Promise<boolean> {
  if (wrkAvailable === undefined) {
    wrkAvailable = await promisify(execFile)('wrk', ['--version']).then(
      () => true,
      (error: { stdout?: string }) => (error.stdout ?? '').includes('wrk'),
    );
  }
  return wrkAvailable;
}

export async function restTool(): Promise<string> {
  return (await hasWrk())
    ? `wrk -t2 -c16 -d10s -s packages/rest-api/bench/options.lua after a ${WARM_UP_SECONDS} s warm-up of the same shape (not recorded)`
    : `a Node load generator (keep-alive, 16 connections, 10 s) after a ${WARM_UP_SECONDS} s warm-up (not recorded)`;
}

function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (match === null) return Number.NaN;
  const factor = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[match[2] as 'us' | 'ms' | 's' | 'm'];
  return Number(match[1]) * factor;
}

async function wrk(url: string, seconds: number): Promise<{ rps: number; p99Ms: number; non2xx: number }> {
  const script = join(repositoryRoot, 'packages/rest-api/bench/options.lua');
  const { stdout } = await promisify(execFile)('wrk', ['-t2', '-c16', `-d${seconds}s`, '--latency', '-s', script, url], { timeout: 60_000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const p99Ms = toMs(/\s99%\s+([\d.]+\w+)/.exec(stdout)?.[1] ?? '');
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
  return { rps, p99Ms, non2xx };
}

async function nodeLoad(url: string, seconds: number): Promise<{ rps: number; p99Ms: number; non2xx: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const latencies: number[] = [];
  let non2xx = 0;
  const endAt = performance.now() + seconds * 1000;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const startedAt = performance.now();
      const request = http.request(url, { method: 'OPTIONS', agent }, (response) => {
        response.resume();
        response.on('end', () => {
          latencies.push(performance.now() - startedAt);
          if ((response.statusCode ?? 0) >= 300) non2xx += 1;
          resolve();
        });
      });
      request.on('error', () => resolve());
      request.end();
    });
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (performance.now() < endAt) await one();
  }));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / ((performance.now() - startedAt) / 1000), p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN, non2xx };
}

async function restThroughput(context: SessionContext, cluster: PgwardenCluster, scenario: 'rest-throughput' | 'rest-backlog' = 'rest-throughput'): Promise<void> {
  const leader = await waitHealthy(cluster);
  const url = `http://127.0.0.1:${leader.apiPort}/primary`;
  const load = (await hasWrk()) ? wrk : nodeLoad;
  // Warm-up, not recorded: a fresh Node agent runs its first thousands of checks in
  // unoptimised code while V8 compiles them; the measured 10 s are the steady state.
  await load(url, WARM_UP_SECONDS);
  const result = await load(url, 10);
  const prefix = scenario === 'rest-throughput' ? 'rest' : scenario;
  context.record(`${prefix}.rps`, result.rps);
  context.record(`${prefix}.p99`, result.p99Ms);
  if (result.non2xx > 0) context.note(`${scenario}: ${context.implementation.name} answered ${result.non2xx} non-2xx responses in one run`);
  context.log(`${scenario}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99Ms.toFixed(2)} ms`);
}

/** REST throughput on a one-member cluster whose backlog is raised (pgwarden only: Patroni 3.0.2 cannot set it). */
async function restBacklog(context: SessionContext): Promise<void> {
  if (!context.implementation.hasRequestQueueSize) return;
  const cluster = await context.implementation.prepare(DEFAULT_TIMINGS, { size: 1, restapi: { request_queue_size: RAISED_BACKLOG } });
  const unguard = context.guard(() => cluster.stop());
  try {
    await Promise.all(cluster.members.map((member) => member.start()));
    await restThroughput(context, cluster, 'rest-backlog');
  } finally {
    await stopCluster(cluster, unguard);
  }
}

/**
 * One run of every selected scenario for one implementation. A scenario
 * that fails is logged and skipped for this run (its figure is missing);
 * when the cluster cannot be brought back to healthy the rest of the
 * default-timings part is skipped.
 */
export async function runSession(context: SessionContext): Promise<void> {
  const on = (scenario: Scenario): boolean => context.selected.has(scenario);
  const defaultPart: Scenario[] = ['bootstrap', 'idle', 'idle-haproxy', 'rest-throughput', 'switchover-direct', 'switchover-haproxy', 'postmaster-crash', 'failover-default'];
  if (defaultPart.some(on)) {
    const { cluster, unguard, bootMs } = await bootCluster(context, DEFAULT_TIMINGS);
    try {
      if (on('bootstrap')) context.record('bootstrap', bootMs / 1000);
      context.log(`cluster healthy after ${bootMs} ms`);
      const steps: [Scenario, () => Promise<void>][] = [
        ['idle', () => idle(context, cluster)],
        ['idle-haproxy', () => idleHaproxy(context, cluster)],
        ['rest-throughput', () => restThroughput(context, cluster)],
        ['switchover-direct', () => switchoverDirect(context, cluster)],
        ['switchover-haproxy', () => switchoverHaproxy(context, cluster)],
        ['postmaster-crash', () => postmasterCrash(context, cluster)],
        ['failover-default', () => failover(context, cluster, 'failover-default', 120_000)],
      ];
      for (const [scenario, step] of steps) {
        if (!on(scenario)) continue;
        try {
          await step();
        } catch (error) {
          context.failed(scenario);
          context.note(`${scenario}: a ${context.implementation.name} run failed: ${String(error).split('\n')[0]}`);
          context.log(`${scenario} FAILED: ${String(error)}\n${tails(cluster)}`);
          try {
            await waitHealthy(cluster, 120_000);
          } catch {
            context.log('cluster not healthy again: the rest of this run is skipped');
            break;
          }
        }
      }
    } finally {
      await stopCluster(cluster, unguard);
    }
  }
  if (on('rest-backlog')) {
    try {
      await restBacklog(context);
    } catch (error) {
      context.failed('rest-backlog');
      context.note(`rest-backlog: a ${context.implementation.name} run failed: ${String(error).split('\n')[0]}`);
    }
  }
  if (on('failover-fast')) {
    const { cluster, unguard } = await bootCluster(context, FAST_TIMINGS);
    try {
      await failover(context, cluster, 'failover-fast', 60_000);
    } catch (error) {
      context.failed('failover-fast');
      context.note(`failover-fast: a ${context.implementation.name} run failed: ${String(error).split('\n')[0]}`);
      context.log(`failover-fast FAILED: ${String(error)}\n${tails(cluster)}`);
    } finally {
      await stopCluster(cluster, unguard);
    }
  }
}

function tails(cluster: PgwardenCluster): string {
  return cluster.members.map((member) => `--- ${member.name}\n${member.output().split('\n').slice(-Number(process.env['BENCH_LOG_LINES'] ?? 12)).join('\n')}`).join('\n');
}
