/**
 * A real pgwarden cluster for end-to-end tests: etcd, and N agents (the
 * `pgwarden` bin run by Node with tsx, or any command given) with generated
 * Patroni-style configs on free loopback ports, data in a temp dir owned by
 * the postgres user. Members can be started, stopped (SIGTERM), SIGKILLed,
 * have their postmaster killed, and be queried through their REST API.
 *
 * Everything started here is stopped by PID: the agents, the postmasters
 * they left behind (found through their own data directory's
 * postmaster.pid, checked against /proc so a reused PID is never hit), and
 * etcd if the cluster started it — also when the test process exits early.
 */
import https from 'node:https';
import { appendFileSync, chownSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEtcd, type EtcdCluster } from './etcd.js';
import { getFreePort } from './ports.js';
import { startProcess, type TestProcess } from './processes.js';
import { makeTempDir, postgresUser } from './temp-dirs.js';
import { memberConfig, clusterPasswords } from './cluster-config.js';
import { waitUntil } from './cluster-wait.js';

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * `node --single-threaded --conditions=pgwarden-source --import tsx packages/cli/src/bin/pgwarden.ts`:
 * no build needed; V8's helper threads off as the installed command (packages/cli/bin/pgwarden) runs the agent.
 */
export const defaultAgentCommand: readonly string[] = [
  process.execPath,
  '--single-threaded',
  '--conditions=pgwarden-source',
  '--import',
  'tsx',
  join(repositoryRoot, 'packages/cli/src/bin/pgwarden.ts'),
];

export interface StartClusterOptions {
  /** Members, default 3 (named node1..nodeN). */
  readonly size?: number;
  readonly scope?: string;
  readonly namespace?: string;
  /** Dynamic timings written to bootstrap.dcs; default ttl 20, loop_wait 2, retry_timeout 5. */
  readonly ttl?: number;
  readonly loopWait?: number;
  readonly retryTimeout?: number;
  /** Extra bootstrap.dcs keys: synchronous_mode, failsafe_mode, postgresql.parameters... */
  readonly dcs?: Readonly<Record<string, unknown>>;
  /** Extra PostgreSQL parameters in bootstrap.dcs. */
  readonly parameters?: Readonly<Record<string, string | number | boolean>>;
  /** Last word on each member's config (tags, callbacks, log level...). */
  readonly configure?: (name: string, config: Record<string, unknown>) => Record<string, unknown>;
  /** Use this etcd instead of starting a single-node one (it is then not stopped by `stop()`). */
  readonly etcd?: EtcdCluster;
  /** Start no etcd (`configure` puts another DCS section in place of `etcd3`); `cluster.etcd` is then empty. */
  readonly withoutEtcd?: boolean;
  /** Command + arguments before the config path; default `defaultAgentCommand`. */
  readonly agentCommand?: readonly string[];
  /** Start every agent at once (`all`, default: they race to bootstrap) or none. */
  readonly start?: 'all' | 'none';
  readonly env?: Readonly<Record<string, string>>;
  readonly binDir?: string;
  /** Serve every REST API over TLS with this certificate; the cluster's own requests trust `caFile`. */
  readonly restApiTls?: RestApiTls;
}

export interface RestApiTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  /**
   * `restapi.verify_client` (with `restapi.cafile` = `caFile`): the members then need client
   * certificates for each other, and the test's own requests present the server certificate
   * (it carries clientAuth).
   */
  readonly verifyClient?: 'optional' | 'required';
}

interface ClientTls {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
  json<T = Record<string, unknown>>(): T;
}

export interface PgwardenMember {
  readonly name: string;
  readonly apiPort: number;
  readonly pgPort: number;
  /** `http://127.0.0.1:<apiPort>` */
  readonly apiBase: string;
  readonly dataDir: string;
  readonly configPath: string;
  readonly logPath: string;
  /** Spawn the agent; resolves once its REST API answers. */
  start(): Promise<void>;
  /** SIGTERM the agent (it stops PostgreSQL) and wait; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL the agent only; PostgreSQL keeps running. */
  kill(): Promise<void>;
  running(): boolean;
  agentPid(): number | undefined;
  /** PID of the postmaster running in this member's data directory. */
  postmasterPid(): number | undefined;
  /**
   * Signal the postmaster (default SIGKILL) and, for SIGKILL, wait until the
   * process is gone; resolves with the PID signalled.
   */
  killPostmaster(signal?: NodeJS.Signals): Promise<number | undefined>;
  /** Agent output of every run of this member. */
  output(): string;
  /** GET /patroni, undefined when the API does not answer. */
  status(): Promise<Record<string, unknown> | undefined>;
  request(method: string, path: string, body?: unknown): Promise<HttpAnswer>;
  /** libpq URL of this member as the superuser. */
  connectionString(database?: string): string;
}

export interface PgwardenCluster {
  readonly scope: string;
  readonly namespace: string;
  readonly etcd: EtcdCluster;
  readonly members: readonly PgwardenMember[];
  readonly dir: string;
  member(name: string): PgwardenMember;
  /** The member whose REST API says it runs the primary (GET /primary answers 200). */
  leader(): Promise<PgwardenMember | undefined>;
  waitForLeader(options?: { timeoutMs?: number; exclude?: string }): Promise<PgwardenMember>;
  /** Wait until `count` members report `replication_state: streaming`. */
  waitForStreamingReplicas(count: number, options?: { timeoutMs?: number }): Promise<PgwardenMember[]>;
  /** `postgresql://...@127.0.0.1:p1,127.0.0.1:p2,.../db?target_session_attrs=...` */
  multiHostUrl(options?: { targetSessionAttrs?: string; database?: string }): string;
  stop(): Promise<void>;
}

const liveDataDirs = new Set<string>();
let exitHookInstalled = false;

function installPostmasterExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const dataDir of liveDataDirs) {
      const pid = postmasterPidOf(dataDir);
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });
}

/**
 * The live postmaster of `dataDir`: the PID in its postmaster.pid, if that
 * process is alive and its working directory is this data directory (the
 * postmaster chdirs there), so a PID reused by someone else is never hit.
 */
export function postmasterPidOf(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    if (/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) return undefined;
    return realpathSync(`/proc/${pid}/cwd`) === realpathSync(dataDir) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function httpRequest(url: string, method: string, body: unknown, timeoutMs: number, tls?: ClientTls): Promise<HttpAnswer> {
  if (url.startsWith('https:')) return httpsRequest(url, method, body, timeoutMs, tls);
  const response = await fetch(url, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  return { status: response.status, body: text, json: <T>() => JSON.parse(text) as T };
}

/** fetch() cannot be given a CA without undici's Agent: node:https for TLS REST APIs. */
function httpsRequest(url: string, method: string, body: unknown, timeoutMs: number, tls: ClientTls | undefined): Promise<HttpAnswer> {
  return new Promise((resolvePromise, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = https.request(url, { method, timeout: timeoutMs, ...(tls ?? {}), ...(payload ? { headers: { 'content-type': 'application/json' } } : {}) }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolvePromise({ status: response.statusCode ?? 0, body: text, json: <T>() => JSON.parse(text) as T }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(payload);
  });
}

interface MemberPlan {
  readonly name: string;
  readonly apiPort: number;
  readonly pgPort: number;
  readonly memberDir: string;
}

function makeMember(plan: MemberPlan, configPath: string, command: readonly string[], env: Readonly<Record<string, string>>, tls: RestApiTls | undefined): PgwardenMember {
  const dataDir = join(plan.memberDir, 'data');
  const logPath = join(plan.memberDir, 'agent.log');
  const apiBase = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${plan.apiPort}`;
  const clientTls: ClientTls | undefined =
    tls === undefined
      ? undefined
      : { ca: readFileSync(tls.caFile), ...(tls.verifyClient === undefined ? {} : { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }) };
  let process_: TestProcess | undefined;
  let transcript = '';
  liveDataDirs.add(dataDir);
  const request = (method: string, path: string, body?: unknown): Promise<HttpAnswer> => httpRequest(`${apiBase}${path}`, method, body, 30_000, clientTls);
  const member: PgwardenMember = {
    name: plan.name,
    apiPort: plan.apiPort,
    pgPort: plan.pgPort,
    apiBase,
    dataDir,
    configPath,
    logPath,
    async start() {
      if (member.running()) return;
      const [file, ...args] = command;
      if (file === undefined) throw new Error('empty agent command');
      const started = startProcess(file, [...args, configPath], { cwd: repositoryRoot, env: { ...process.env, ...env } });
      process_ = started;
      const keep = (chunk: Buffer): void => {
        const text = chunk.toString();
        transcript = (transcript + text).slice(-1_048_576);
        appendFileSync(logPath, text);
      };
      started.child.stdout?.on('data', keep);
      started.child.stderr?.on('data', keep);
      await waitUntil(
        async () => {
          if (started.child.exitCode !== null) throw new Error(`agent ${plan.name} exited with ${started.child.exitCode}:\n${transcript.slice(-3000)}`);
          return (await request('GET', '/liveness').catch(() => undefined))?.status !== undefined;
        },
        { timeoutMs: 60_000, what: `the REST API of ${plan.name}` },
      ).catch((error: unknown) => {
        throw error instanceof Error ? error : new Error(String(error));
      });
    },
    async stop(timeoutMs = 60_000) {
      await process_?.stop('SIGTERM', timeoutMs);
    },
    async kill() {
      await process_?.stop('SIGKILL', 5000);
    },
    running: () => process_ !== undefined && process_.child.exitCode === null && process_.child.signalCode === null,
    agentPid: () => (member.running() ? process_?.pid : undefined),
    postmasterPid: () => postmasterPidOf(dataDir),
    async killPostmaster(signal = 'SIGKILL') {
      const pid = postmasterPidOf(dataDir);
      if (pid === undefined) return undefined;
      process.kill(pid, signal);
      if (signal === 'SIGKILL') {
        await waitUntil(() => postmasterPidOf(dataDir) !== pid, { timeoutMs: 10_000, intervalMs: 20, what: `postmaster ${pid} to exit` });
      }
      return pid;
    },
    output: () => transcript,
    async status() {
      try {
        return (await httpRequest(`${apiBase}/patroni`, 'GET', undefined, 3000, clientTls)).json();
      } catch {
        return undefined;
      }
    },
    request,
    connectionString: (database = 'postgres') =>
      `postgresql://${clusterPasswords.superuser.username}:${clusterPasswords.superuser.password}@127.0.0.1:${plan.pgPort}/${database}`,
  };
  return member;
}

/** Stop a postmaster we started: SIGQUIT (immediate shutdown), SIGKILL if it lingers. */
async function stopLeftoverPostmaster(dataDir: string): Promise<void> {
  const pid = postmasterPidOf(dataDir);
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    return;
  }
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && postmasterPidOf(dataDir) === pid) await new Promise((resolve) => setTimeout(resolve, 100));
  if (postmasterPidOf(dataDir) === pid) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

export async function startPgwardenCluster(options: StartClusterOptions = {}): Promise<PgwardenCluster> {
  installPostmasterExitHook();
  const size = options.size ?? 3;
  const scope = options.scope ?? `e2e-${Math.random().toString(36).slice(2, 8)}`;
  const namespace = options.namespace ?? '/service/';
  const ownEtcd = options.etcd === undefined && options.withoutEtcd !== true;
  const noEtcd: EtcdCluster = { nodes: [], endpoints: [], stop: async () => undefined };
  const etcd = options.etcd ?? (options.withoutEtcd === true ? noEtcd : await startEtcd({ size: 1 }));
  const base = makeTempDir(`cluster-${scope}`, { forPostgres: true });
  const user = postgresUser();
  const members: PgwardenMember[] = [];
  for (let index = 1; index <= size; index++) {
    const name = `node${index}`;
    const memberDir = join(base.path, name);
    mkdirSync(memberDir, { mode: 0o700 });
    if ((process.getuid?.() ?? 0) === 0) chownSync(memberDir, user.uid, user.gid);
    const plan: MemberPlan = { name, apiPort: await getFreePort(), pgPort: await getFreePort(), memberDir };
    let config = memberConfig({
      scope,
      namespace,
      name,
      apiPort: plan.apiPort,
      pgPort: plan.pgPort,
      memberDir,
      dataDir: join(memberDir, 'data'),
      etcdHosts: etcd.endpoints.map((endpoint) => endpoint.replace(/^https?:\/\//, '')),
      ttl: options.ttl ?? 20,
      loopWait: options.loopWait ?? 2,
      retryTimeout: options.retryTimeout ?? 5,
      dcs: options.dcs ?? {},
      parameters: options.parameters ?? {},
      binDir: options.binDir ?? '/usr/lib/postgresql/15/bin',
    });
    if (options.restApiTls !== undefined) {
      const { certFile, keyFile, caFile, verifyClient } = options.restApiTls;
      const verify = verifyClient === undefined ? {} : { cafile: caFile, verify_client: verifyClient };
      config = { ...config, restapi: { ...(config['restapi'] as object), certfile: certFile, keyfile: keyFile, ...verify } };
    }
    if (options.configure !== undefined) config = options.configure(name, config);
    const configPath = join(base.path, `${name}.yml`);
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    members.push(makeMember(plan, configPath, options.agentCommand ?? defaultAgentCommand, options.env ?? {}, options.restApiTls));
  }
  const byName = (name: string): PgwardenMember => {
    const found = members.find((member) => member.name === name);
    if (found === undefined) throw new Error(`no member ${name}`);
    return found;
  };
  const cluster: PgwardenCluster = {
    scope,
    namespace,
    etcd,
    members,
    dir: base.path,
    member: byName,
    async leader() {
      for (const member of members) {
        const answer = await member.request('GET', '/primary').catch(() => undefined);
        if (answer?.status === 200) return member;
      }
      return undefined;
    },
    waitForLeader: (waitOptions = {}) =>
      waitUntil(
        async () => {
          const leader = await cluster.leader();
          return leader !== undefined && leader.name !== waitOptions.exclude ? leader : undefined;
        },
        { timeoutMs: waitOptions.timeoutMs ?? 120_000, intervalMs: 100, what: 'a leader' },
      ),
    waitForStreamingReplicas: (count, waitOptions = {}) =>
      waitUntil(
        async () => {
          const streaming: PgwardenMember[] = [];
          for (const member of members) {
            const status = await member.status();
            if (status?.['role'] === 'replica' && status['replication_state'] === 'streaming') streaming.push(member);
          }
          return streaming.length >= count ? streaming : undefined;
        },
        { timeoutMs: waitOptions.timeoutMs ?? 120_000, intervalMs: 250, what: `${count} streaming replicas` },
      ),
    multiHostUrl: (urlOptions = {}) => {
      const hosts = members.map((member) => `127.0.0.1:${member.pgPort}`).join(',');
      const { username, password } = clusterPasswords.superuser;
      const attrs = urlOptions.targetSessionAttrs ?? 'read-write';
      return `postgresql://${username}:${password}@${hosts}/${urlOptions.database ?? 'postgres'}?target_session_attrs=${attrs}`;
    },
    async stop() {
      await Promise.all(members.map((member) => member.stop(30_000).catch(() => undefined)));
      await Promise.all(members.map((member) => stopLeftoverPostmaster(member.dataDir)));
      for (const member of members) liveDataDirs.delete(member.dataDir);
      if (ownEtcd) await etcd.stop();
      if (process.env['PGWARDEN_KEEP_CLUSTER'] === undefined) base.remove();
    },
  };
  if ((options.start ?? 'all') === 'all') {
    try {
      await Promise.all(members.map((member) => member.start()));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }
  return cluster;
}

export { clusterPasswords } from './cluster-config.js';
export { waitUntil, type WaitOptions } from './cluster-wait.js';
