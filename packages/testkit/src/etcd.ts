/**
 * Real etcd servers for tests: one node or a three-node cluster on free
 * loopback ports, data in temp dirs, every process stopped by its PID. A
 * single node can be stopped and started again (same data dir, same ports)
 * or frozen with SIGSTOP, to simulate an outage of one etcd member.
 *
 * Election and heartbeat intervals are shortened so that a restarted member
 * rejoins quickly; the semantics under test do not depend on them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { getFreePort } from './ports.js';
import { restartableProcess } from './server-process.js';
import { makeTempDir, type TempDir } from './temp-dirs.js';

export const ETCD_BINARY = process.env['PGWARDEN_ETCD_BINARY'] ?? '/usr/bin/etcd';

export interface EtcdNode {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  /** PID of the running process, undefined while stopped. */
  pid(): number | undefined;
  running(): boolean;
  /** Signal by PID (SIGTERM by default; SIGKILL = crash) and wait for the exit (SIGKILL after 5 s). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Start again with the same data dir and ports; resolves when it serves. */
  start(): Promise<void>;
  /** SIGSTOP: the process keeps its sockets but answers nothing. */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  output(): string;
}

export interface EtcdCluster {
  readonly nodes: readonly EtcdNode[];
  /** Client URLs of every member, `http://127.0.0.1:<port>`. */
  readonly endpoints: readonly string[];
  /** Kill every member (SIGKILL: the data is thrown away, no need to wait for a clean shutdown) and remove the data dirs. */
  stop(): Promise<void>;
}

export interface EtcdTlsFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** Require clients to present a certificate signed by the CA. */
  readonly clientCertAuth?: boolean;
  /** Client certificate used by the launcher's health check when clientCertAuth is on. */
  readonly clientCertFile?: string;
  readonly clientKeyFile?: string;
}

export interface StartEtcdOptions {
  /** 1 (default) or 3. */
  readonly size?: number;
  /** Serve clients over https with these files (peers stay on http). */
  readonly tls?: EtcdTlsFiles;
  /** How long to wait for the cluster to serve; default 30 s. */
  readonly readyTimeoutMs?: number;
}

interface NodePlan {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function isHealthy(clientUrl: string, tls: EtcdTlsFiles | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const secure = clientUrl.startsWith('https:');
    const options = {
      timeout: 1000,
      ...(secure && tls
        ? {
            ca: readFileSync(tls.caFile),
            ...(tls.clientCertFile ? { cert: readFileSync(tls.clientCertFile) } : {}),
            ...(tls.clientKeyFile ? { key: readFileSync(tls.clientKeyFile) } : {}),
          }
        : {}),
    };
    const request = (secure ? httpsRequest : httpRequest)(`${clientUrl}/health`, options, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body.includes('"health":"true"')));
      response.on('error', () => resolve(false));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
    request.end();
  });
}

/**
 * Wait until `node` answers its /health with `"health":"true"`, which etcd
 * gives only when the member sees a raft leader and can read: after another
 * member was killed, the ones left have elected one.
 */
export async function waitEtcdHealthy(node: EtcdNode, timeoutMs: number, tls?: EtcdTlsFiles): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!node.running()) throw new Error(`etcd ${node.name} exited:\n${node.output().slice(-4000)}`);
    if (await isHealthy(node.clientUrl, tls)) return;
    await sleep(50);
  }
  throw new Error(`etcd ${node.name} not healthy after ${timeoutMs} ms:\n${node.output().slice(-4000)}`);
}

function tlsArguments(tls: EtcdTlsFiles | undefined): string[] {
  if (tls === undefined) return [];
  return [
    `--cert-file=${tls.certFile}`,
    `--key-file=${tls.keyFile}`,
    `--trusted-ca-file=${tls.caFile}`,
    ...(tls.clientCertAuth ? ['--client-cert-auth'] : []),
  ];
}

function etcdArguments(plan: NodePlan, dataDir: string, initialCluster: string, clusterToken: string, tls?: EtcdTlsFiles): string[] {
  const clientUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${plan.clientPort}`;
  const peerUrl = `http://127.0.0.1:${plan.peerPort}`;
  return [
    `--name=${plan.name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${initialCluster}`,
    `--initial-cluster-state=${existsSync(join(dataDir, 'member')) ? 'existing' : 'new'}`,
    `--initial-cluster-token=${clusterToken}`,
    '--heartbeat-interval=50',
    '--election-timeout=500',
    '--logger=zap',
    '--log-level=warn',
    ...tlsArguments(tls),
  ];
}

function makeNode(plan: NodePlan, dataDir: string, initialCluster: string, clusterToken: string, tls?: EtcdTlsFiles): EtcdNode {
  const run = restartableProcess(ETCD_BINARY, () => etcdArguments(plan, dataDir, initialCluster, clusterToken, tls));
  const clientUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${plan.clientPort}`;
  const node: EtcdNode = {
    name: plan.name,
    clientUrl,
    peerUrl: `http://127.0.0.1:${plan.peerPort}`,
    pid: run.pid,
    running: run.running,
    output: run.output,
    stop: run.stop,
    async start() {
      if (run.running()) return;
      run.launch();
      await waitEtcdHealthy(node, 30_000, tls);
    },
    freeze() {
      const pid = node.pid();
      if (pid !== undefined) process.kill(pid, 'SIGSTOP');
    },
    thaw() {
      const pid = node.pid();
      if (pid !== undefined) process.kill(pid, 'SIGCONT');
    },
  };
  run.launch();
  return node;
}

/** Start a fresh etcd (1 or 3 members) and wait until every member is healthy. */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdCluster> {
  const size = options.size ?? 1;
  if (size < 1 || size > 5) throw new Error(`etcd cluster size must be 1..5, got ${size}`);
  const plans: NodePlan[] = [];
  for (let index = 0; index < size; index++) {
    plans.push({ name: `etcd${index + 1}`, clientPort: await getFreePort(), peerPort: await getFreePort() });
  }
  const initialCluster = plans.map((plan) => `${plan.name}=http://127.0.0.1:${plan.peerPort}`).join(',');
  const clusterToken = `pgwarden-test-${plans[0]?.clientPort ?? 0}`;
  const dirs: TempDir[] = [];
  const nodes: EtcdNode[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    for (const dir of dirs) dir.remove();
  };
  try {
    for (const plan of plans) {
      const dir = makeTempDir(`etcd-${plan.name}`);
      dirs.push(dir);
      nodes.push(makeNode(plan, join(dir.path, 'data'), initialCluster, clusterToken, options.tls));
    }
    const timeout = options.readyTimeoutMs ?? 30_000;
    await Promise.all(nodes.map((node) => waitEtcdHealthy(node, timeout, options.tls)));
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { nodes, endpoints: nodes.map((node) => node.clientUrl), stop: stopAll };
}
