/**
 * Real ZooKeeper servers for tests (Debian's `zookeeperd`, 3.8): one server
 * or a three-server ensemble on free loopback ports, each with its own config
 * and data dir in a temp dir, the admin server disabled, every process
 * stopped by its PID. One server can be stopped and started again (same data
 * dir, same ports) or frozen with SIGSTOP, to simulate an outage.
 *
 * tickTime is short (250 ms) so that elections and restarts are quick; the
 * session timeouts a client may negotiate are widened to 1 s .. 60 s so the
 * tests can use a ttl of 2 s and the end-to-end tests Patroni's 30 s.
 */
import { createConnection } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getFreePort } from './ports.js';
import { restartableProcess } from './server-process.js';
import { makeTempDir, type TempDir } from './temp-dirs.js';

export const ZOOKEEPER_CLASSPATH = process.env['PGWARDEN_ZOOKEEPER_CLASSPATH'] ?? '/usr/share/java/zookeeper.jar';
const JAVA_BINARY = process.env['PGWARDEN_JAVA_BINARY'] ?? '/usr/bin/java';

export interface ZooKeeperServer {
  readonly id: number;
  readonly clientPort: number;
  /** `127.0.0.1:<clientPort>` */
  readonly address: string;
  pid(): number | undefined;
  running(): boolean;
  /** Signal by PID (SIGTERM by default; SIGKILL = crash) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Start again with the same data dir and ports; resolves when it serves (or, alone in a stopped ensemble, when it runs). */
  start(): Promise<void>;
  /** SIGSTOP: the process keeps its sockets but answers nothing. */
  freeze(): void;
  thaw(): void;
  /** The `srvr` answer's Mode (`standalone`, `leader`, `follower`), undefined when not serving. */
  mode(): Promise<string | undefined>;
  output(): string;
}

export interface ZooKeeperEnsemble {
  readonly servers: readonly ZooKeeperServer[];
  /** Patroni's `zookeeper.hosts` form: `127.0.0.1:p1,127.0.0.1:p2,...` */
  readonly connectionString: string;
  readonly hosts: readonly string[];
  /** Kill every server (SIGKILL) and remove the data dirs. */
  stop(): Promise<void>;
}

export interface StartZooKeeperOptions {
  /** 1 (default) or 3 (or 5). */
  readonly size?: number;
  readonly readyTimeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One four-letter-word command; resolves with the answer, or undefined on error/timeout. */
export function fourLetterWord(port: number, command: string, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = createConnection({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, timeoutMs);
    socket.on('connect', () => socket.write(command));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer === '' ? undefined : answer);
    });
  });
}

async function serverMode(port: number): Promise<string | undefined> {
  const answer = await fourLetterWord(port, 'srvr');
  return answer?.match(/^Mode: (\S+)/m)?.[1];
}

interface ServerPlan {
  readonly id: number;
  readonly clientPort: number;
  readonly quorumPort: number;
  readonly electionPort: number;
}

function configText(plan: ServerPlan, dataDir: string, plans: readonly ServerPlan[]): string {
  const lines = [
    'tickTime=250',
    'initLimit=40',
    'syncLimit=8',
    `dataDir=${dataDir}`,
    `clientPort=${plan.clientPort}`,
    'clientPortAddress=127.0.0.1',
    'admin.enableServer=false',
    'minSessionTimeout=1000',
    'maxSessionTimeout=60000',
    '4lw.commands.whitelist=srvr,ruok,mntr,cons',
    'autopurge.purgeInterval=0',
    'preAllocSize=1024',
  ];
  if (plans.length > 1) {
    for (const peer of plans) lines.push(`server.${peer.id}=127.0.0.1:${peer.quorumPort}:${peer.electionPort}`);
  }
  return `${lines.join('\n')}\n`;
}

function makeServer(plan: ServerPlan, dir: string, plans: readonly ServerPlan[]): ZooKeeperServer {
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'myid'), `${plan.id}\n`);
  const configFile = join(dir, 'zoo.cfg');
  writeFileSync(configFile, configText(plan, dataDir, plans));
  const run = restartableProcess(JAVA_BINARY, () => [
    '-Xmx128m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Dzookeeper.jmx.log4j.disable=true',
    '-cp',
    ZOOKEEPER_CLASSPATH,
    'org.apache.zookeeper.server.quorum.QuorumPeerMain',
    configFile,
  ]);
  const server: ZooKeeperServer = {
    id: plan.id,
    clientPort: plan.clientPort,
    address: `127.0.0.1:${plan.clientPort}`,
    pid: run.pid,
    running: run.running,
    output: run.output,
    mode: () => serverMode(plan.clientPort),
    stop: run.stop,
    async start() {
      if (run.running()) return;
      // While it was down, its port may have been handed to a client socket or another test's
      // server for a moment: a restart that exits at once is tried again for a while (ZooKeeper
      // logs nothing here, SLF4J has no binding) before it counts as a failure.
      const deadline = Date.now() + 20_000;
      for (;;) {
        run.launch();
        try {
          await waitServing(server, 30_000, plans.length === 1);
          return;
        } catch (error) {
          if (run.running() || Date.now() > deadline) throw error;
          await sleep(1000);
        }
      }
    },
    freeze() {
      const pid = server.pid();
      if (pid !== undefined) process.kill(pid, 'SIGSTOP');
    },
    thaw() {
      const pid = server.pid();
      if (pid !== undefined) process.kill(pid, 'SIGCONT');
    },
  };
  run.launch();
  return server;
}

/** Until the server serves clients; with `mustServe` false (a member restarted alone), until it listens. */
async function waitServing(server: ZooKeeperServer, timeoutMs: number, mustServe = true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!server.running()) throw new Error(`zookeeper ${server.id} exited:\n${server.output().slice(-4000)}`);
    if ((await server.mode()) !== undefined) return;
    if (!mustServe && (await fourLetterWord(server.clientPort, 'ruok')) === 'imok') return;
    await sleep(100);
  }
  throw new Error(`zookeeper ${server.id} not serving after ${timeoutMs} ms:\n${server.output().slice(-4000)}`);
}

/** Start a fresh ZooKeeper (1 or 3 servers) and wait until every server serves. */
export async function startZooKeeper(options: StartZooKeeperOptions = {}): Promise<ZooKeeperEnsemble> {
  const size = options.size ?? 1;
  if (size < 1 || size > 5) throw new Error(`zookeeper ensemble size must be 1..5, got ${size}`);
  const plans: ServerPlan[] = [];
  for (let index = 0; index < size; index++) {
    plans.push({ id: index + 1, clientPort: await getFreePort(), quorumPort: await getFreePort(), electionPort: await getFreePort() });
  }
  const dirs: TempDir[] = [];
  const servers: ZooKeeperServer[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.stop('SIGKILL')));
    for (const dir of dirs) dir.remove();
  };
  try {
    for (const plan of plans) {
      const dir = makeTempDir(`zookeeper-${plan.id}`);
      dirs.push(dir);
      servers.push(makeServer(plan, dir.path, plans));
    }
    const timeout = options.readyTimeoutMs ?? 60_000;
    await Promise.all(servers.map((server) => waitServing(server, timeout)));
  } catch (error) {
    await stopAll();
    throw error;
  }
  const hosts = servers.map((server) => server.address);
  return { servers, hosts, connectionString: hosts.join(','), stop: stopAll };
}
