/**
 * Starts the demo cluster — etcd, three pgwarden agents, HAProxy, all on
 * 127.0.0.1 — waits until it is healthy, and stops all of it again. Every
 * process is ours and is stopped by PID; the base directory holds all data
 * and logs and is removed at the end.
 */
import type { Cluster } from '@pgwarden/core';
import { createEtcdDcs } from '@pgwarden/dcs-etcd';
import { renderHaproxyConfig } from '@pgwarden/haproxy-gen';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { clusterSummary, isSettled } from '../ctl/cluster/cluster-summary.js';
import { ctlConfig, DEMO_CREDENTIALS, MEMBER_NAMES, memberConfig, memberDir, type DemoPlan, type DemoPorts } from './demo-config.js';
import { postmasterPid, startChild, stopChild, stopPid, writeState, type DemoChild } from './demo-processes.js';

export interface DemoOptions {
  readonly ports: DemoPorts;
  readonly stateFile: string;
  /** How to run the agent: `[command, ...args]`, the config path is appended. */
  readonly agentCommand: readonly [string, ...string[]];
  readonly repoRoot: string;
  readonly say: (text: string) => void;
  readonly readyTimeoutMs: number;
  readonly etcdBinary?: string;
  readonly haproxyBinary?: string;
  readonly pgBinDir?: string;
  /** Aborting it (Ctrl-C during start-up) stops the start and everything started so far. */
  readonly signal?: AbortSignal;
}

export interface DemoCluster {
  readonly plan: DemoPlan;
  readonly ctlConfigPath: string;
  readonly children: readonly DemoChild[];
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function checkInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Error('interrupted: stopped what was started');
}

function postgresIds(): { uid: number; gid: number } | undefined {
  if ((process.getuid?.() ?? 0) !== 0) return undefined;
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

function prepareDirectories(plan: DemoPlan): void {
  const owner = postgresIds();
  chmodSync(plan.baseDir, 0o755);
  mkdirSync(join(plan.baseDir, 'logs'));
  MEMBER_NAMES.forEach((_, index) => {
    const dir = memberDir(plan, index);
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, 'pgwarden.yml'), memberConfig(plan, index), { mode: 0o600 });
    // PostgreSQL (run as `postgres` when we are root) writes its socket and pgpass here.
    if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  });
  writeFileSync(join(plan.baseDir, 'pgwardenctl.yaml'), ctlConfig(plan), { mode: 0o644 });
}

async function waitForEtcd(port: number, child: DemoChild, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exited()) throw new Error(`etcd exited at start: see ${child.logFile}`);
    if (signal?.aborted) throw new Error('interrupted: stopped what was started');
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      if (response.ok && ((await response.json()) as { health?: string }).health === 'true') return;
    } catch {
      // not up yet
    }
    await sleep(200);
  }
  throw new Error(`etcd did not become healthy within ${timeoutMs / 1000} s: see ${child.logFile}`);
}

function lastLines(file: string, count: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitForHealthyCluster(plan: DemoPlan, agents: readonly DemoChild[], options: DemoOptions): Promise<Cluster> {
  const dcs = createEtcdDcs({ scope: plan.scope, name: 'pgwarden-demo', hosts: [`127.0.0.1:${plan.ports.etcdClient}`], retryTimeoutSeconds: 5 });
  const deadline = performance.now() + options.readyTimeoutMs;
  const start = performance.now();
  let last = '';
  try {
    while (performance.now() < deadline) {
      checkInterrupted(options.signal);
      const dead = agents.find((agent) => agent.exited());
      if (dead !== undefined) throw new Error(`agent ${dead.name} exited:\n${lastLines(dead.logFile, 15)}`);
      const result = await dcs.getCluster();
      if (result.ok) {
        const summary = clusterSummary(result.value);
        if (summary !== last) options.say(`  [${((performance.now() - start) / 1000).toFixed(1).padStart(5)}s] ${summary}`);
        last = summary;
        if (result.value.members.length === MEMBER_NAMES.length && isSettled(result.value)) return result.value;
      }
      await sleep(500);
    }
  } finally {
    await dcs.close();
  }
  const logs = agents.map((agent) => `--- ${agent.logFile}\n${lastLines(agent.logFile, 8)}`).join('\n');
  throw new Error(`the cluster did not become healthy within ${options.readyTimeoutMs / 1000} s (last: ${last}):\n${logs}`);
}

/**
 * True once HAProxy's stats (CSV) show a finished health check for every
 * server of the demo's backends and exactly one server UP behind the primary
 * port. Before its first check a server shows check status "INI" (or none).
 */
export async function everyServerChecked(statsPort: number): Promise<boolean> {
  let csv: string;
  try {
    const response = await fetch(`http://127.0.0.1:${statsPort}/;csv`, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) return false;
    csv = await response.text();
  } catch {
    return false;
  }
  return serversAllChecked(csv);
}

/** The decision of everyServerChecked() on the text of HAProxy's `;csv` stats page. */
export function serversAllChecked(csv: string): boolean {
  const [header, ...rows] = csv.split('\n').filter((line) => line.trim() !== '');
  if (header === undefined) return false;
  const columns = header.replace(/^# /, '').split(',');
  const at = (name: string): number => columns.indexOf(name);
  const [proxy, server, status, check] = [at('pxname'), at('svname'), at('status'), at('check_status')];
  if ([proxy, server, status, check].some((index) => index < 0)) return false;
  const servers = rows
    .map((row) => row.split(','))
    .filter((cells) => cells[proxy]?.startsWith('pgwarden_') === true && cells[proxy] !== 'pgwarden_stats')
    .filter((cells) => cells[server] !== 'FRONTEND' && cells[server] !== 'BACKEND');
  if (servers.length === 0) return false;
  const checked = (cells: readonly string[]): boolean => {
    const state = cells[check] ?? '';
    return state !== '' && !state.startsWith('INI');
  };
  if (!servers.every(checked)) return false;
  const primaryUp = servers.filter((cells) => cells[proxy] === 'pgwarden_primary' && cells[status] === 'UP');
  return primaryUp.length === 1;
}

/** Ask through HAProxy: the primary port must reach a primary, the replica port a replica. */
async function waitForHaproxyRoutes(plan: DemoPlan, haproxy: DemoChild, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const inRecovery = async (port: number): Promise<boolean | undefined> => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: DEMO_CREDENTIALS.superuser.username, password: DEMO_CREDENTIALS.superuser.password, database: 'postgres', connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      const result = await client.query<{ recovery: boolean }>('SELECT pg_is_in_recovery() AS recovery');
      return result.rows[0]?.recovery;
    } catch {
      return undefined;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  while (performance.now() < deadline) {
    checkInterrupted(signal);
    if (haproxy.exited()) throw new Error(`HAProxy exited at start:\n${lastLines(haproxy.logFile, 10)}`);
    // HAProxy starts every server UP until its first check: until each has been
    // checked once, the replica port may still hand a client to the primary.
    if ((await everyServerChecked(plan.ports.haproxyStats)) && (await inRecovery(plan.ports.haproxyPrimary)) === false && (await inRecovery(plan.ports.haproxyReplicas)) === true) return;
    await sleep(500);
  }
  throw new Error(`HAProxy did not route to the primary and a replica within ${timeoutMs / 1000} s: see ${haproxy.logFile}`);
}

function startEtcdProcess(plan: DemoPlan, binary: string, logFile: string): DemoChild {
  const client = `http://127.0.0.1:${plan.ports.etcdClient}`;
  const peer = `http://127.0.0.1:${plan.ports.etcdPeer}`;
  return startChild('etcd', binary, [
    '--name', 'demo', '--data-dir', join(plan.baseDir, 'etcd'),
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `demo=${peer}`, '--listen-metrics-urls', '',
  ], logFile);
}

/** HAProxy in the foreground with the config haproxy-gen renders for this cluster; checks every second. */
function startHaproxyProcess(plan: DemoPlan, cluster: Cluster, binary: string, logFile: string): DemoChild {
  const configPath = join(plan.baseDir, 'haproxy.cfg');
  writeFileSync(configPath, renderHaproxyConfig(cluster, {
    clusterName: plan.scope,
    bindAddress: '127.0.0.1',
    primary: { port: plan.ports.haproxyPrimary },
    replicas: { port: plan.ports.haproxyReplicas },
    stats: { port: plan.ports.haproxyStats, bindAddress: '127.0.0.1' },
    healthCheck: { interval: '1s', fall: 2, rise: 1 },
  }));
  return startChild('haproxy', binary, ['-db', '-f', configPath], logFile);
}

export async function startDemoCluster(options: DemoOptions): Promise<DemoCluster> {
  const baseDir = mkdtempSync(join(tmpdir(), 'pgwarden-demo-'));
  const plan: DemoPlan = { scope: 'demo', baseDir, ports: options.ports, binDir: options.pgBinDir ?? '/usr/lib/postgresql/15/bin' };
  const children: DemoChild[] = [];
  const dataDirs = MEMBER_NAMES.map((_, index) => `${memberDir(plan, index)}/data`);
  const record = (): void =>
    writeState(options.stateFile, { runnerPid: process.pid, baseDir, pids: children.map(({ name, pid }) => ({ name, pid })), dataDirs });
  const stop = async (): Promise<void> => {
    // HAProxy first (clients), then the agents (they stop PostgreSQL and release the lock), then etcd.
    for (const child of [...children].reverse().filter((c) => c.name === 'haproxy')) await stopChild(child, 5000);
    await Promise.all(children.filter((c) => c.name.startsWith('node')).map((child) => stopChild(child, 60_000)));
    // A paused cluster's agents leave PostgreSQL running on purpose: stop what is left, by its PID file.
    await Promise.all(
      dataDirs.map(async (dataDir) => {
        const pid = postmasterPid(dataDir);
        if (pid !== undefined) await stopPid(pid, 30_000, 'SIGINT');
      }),
    );
    for (const child of children.filter((c) => c.name === 'etcd')) await stopChild(child, 10_000);
    rmSync(baseDir, { recursive: true, force: true });
    rmSync(options.stateFile, { force: true });
  };
  try {
    record();
    prepareDirectories(plan);
    const log = (name: string): string => join(baseDir, 'logs', `${name}.log`);
    options.say(`Starting etcd on 127.0.0.1:${plan.ports.etcdClient}`);
    const etcd = startEtcdProcess(plan, options.etcdBinary ?? '/usr/bin/etcd', log('etcd'));
    children.push(etcd);
    record();
    await waitForEtcd(plan.ports.etcdClient, etcd, 30_000, options.signal);
    const agents = MEMBER_NAMES.map((name, index) => {
      options.say(`Starting agent ${name}: PostgreSQL 127.0.0.1:${plan.ports.postgres[index]}, REST API 127.0.0.1:${plan.ports.restApi[index]}`);
      const [command, ...args] = options.agentCommand;
      return startChild(name, command, [...args, join(memberDir(plan, index), 'pgwarden.yml')], log(name), { cwd: options.repoRoot });
    });
    children.push(...agents);
    record();
    options.say('Waiting until a leader runs and both replicas stream from it:');
    const cluster = await waitForHealthyCluster(plan, agents, options);
    options.say(`Starting HAProxy: primary 127.0.0.1:${plan.ports.haproxyPrimary}, replicas 127.0.0.1:${plan.ports.haproxyReplicas}`);
    const haproxy = startHaproxyProcess(plan, cluster, options.haproxyBinary ?? '/usr/sbin/haproxy', log('haproxy'));
    children.push(haproxy);
    record();
    await waitForHaproxyRoutes(plan, haproxy, 30_000, options.signal);
    return { plan, ctlConfigPath: join(baseDir, 'pgwardenctl.yaml'), children, stop };
  } catch (error) {
    // Interrupted on purpose: leave nothing behind. Failed: keep the logs that say why.
    const kept = options.signal?.aborted ? undefined : keepLogs(baseDir);
    await stop();
    throw kept === undefined ? error : new Error(`${(error as Error).message}\n(logs kept in ${kept})`);
  }
}

/** A failed start removes the data but keeps the logs, so that the reason can be read. */
function keepLogs(baseDir: string): string | undefined {
  const logs = join(baseDir, 'logs');
  if (!existsSync(logs)) return undefined;
  const kept = mkdtempSync(join(tmpdir(), 'pgwarden-demo-failed-logs-'));
  cpSync(logs, kept, { recursive: true });
  return kept;
}
