/**
 * A real redis-server for tests: on a free loopback port, its data in a temp
 * dir, stopped by its PID. It can be stopped and started again on the same
 * port keeping its data (append-only file, fsync always), started again with
 * its data thrown away (a restart that lost its data), or frozen with
 * SIGSTOP. Keyspace notifications are off unless asked for, so the adapters'
 * safety nets are what the tests see.
 *
 * Access control and TLS as a production server would have them: ACL users
 * with passwords (`users`, `defaultUser: 'off'`), and TLS only (`tls`: no
 * plain-text port, the server certificate of makeTestCertificates(),
 * client certificates required or not).
 */
import { readFileSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { getFreePort } from './ports.js';
import { restartableProcess } from './server-process.js';
import { makeTempDir } from './temp-dirs.js';

export const REDIS_BINARY = process.env['PGWARDEN_REDIS_BINARY'] ?? '/usr/bin/redis-server';

export interface StartRedisOptions {
  /** `notify-keyspace-events` value (e.g. `Kx`); default none. */
  readonly keyspaceEvents?: string;
  /** Require this password (default user). */
  readonly password?: string;
  /** ACL users (`--user name on >password ~* &* +@all` unless `rules` are given). */
  readonly users?: readonly RedisAclUser[];
  /** `off`: the default user is disabled, so a client must log in as one of `users`. */
  readonly defaultUser?: 'off';
  /** TLS only: no plain-text port; the server presents `certFile` and checks client certificates against `caFile`. */
  readonly tls?: RedisTlsOptions;
  /** Extra `--name value` arguments. */
  readonly extraArguments?: readonly string[];
  readonly readyTimeoutMs?: number;
}

export interface RedisAclUser {
  readonly name: string;
  readonly password: string;
  /** ACL rules after `on >password`; default `~* &* +@all`. */
  readonly rules?: readonly string[];
}

export interface RedisTlsOptions {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  /** `--tls-auth-clients`: yes = a client certificate signed by the CA is required (Redis' default). */
  readonly authClients: 'yes' | 'no' | 'optional';
  /** The client certificate the readiness probe presents when authClients is yes. */
  readonly clientCertFile?: string;
  readonly clientKeyFile?: string;
}

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>` (`rediss://` with TLS) */
  readonly url: string;
  pid(): number | undefined;
  running(): boolean;
  /** Signal by PID (SIGTERM by default; SIGKILL = crash) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Start again on the same port; with `{ loseData: true }` the data files are removed first. */
  start(options?: { readonly loseData?: boolean }): Promise<void>;
  /** SIGSTOP: the process keeps its socket but answers nothing. */
  freeze(): void;
  thaw(): void;
  output(): string;
  /** Kill it and remove its directory. */
  destroy(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function probeSocket(port: number, tls: RedisTlsOptions | undefined): { socket: Socket; connectEvent: string } {
  if (tls === undefined) return { socket: createConnection({ host: '127.0.0.1', port }), connectEvent: 'connect' };
  const read = (file: string | undefined): Buffer | undefined => (file !== undefined ? readFileSync(file) : undefined);
  const socket = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(tls.caFile), cert: read(tls.clientCertFile), key: read(tls.clientKeyFile) });
  return { socket, connectEvent: 'secureConnect' };
}

/** PING over a raw socket (no client library): true when the server answers +PONG (or NOAUTH, i.e. it serves). */
function answersPing(port: number, tls: RedisTlsOptions | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const { socket, connectEvent } = probeSocket(port, tls);
    const done = (value: boolean): void => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on(connectEvent, () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => done(/^(\+PONG|-NOAUTH)/.test(chunk.toString())));
  });
}

/** `--user` / `--tls-*` arguments (Redis 7 takes config directives on the command line). */
function accessArguments(options: StartRedisOptions, port: number): string[] {
  const args: string[] = [];
  if (options.defaultUser === 'off') args.push('--user', 'default', 'off');
  for (const user of options.users ?? []) args.push('--user', user.name, 'on', `>${user.password}`, ...(user.rules ?? ['~*', '&*', '+@all']));
  const tls = options.tls;
  if (tls === undefined) return ['--port', String(port), ...args];
  if (tls.authClients === 'yes' && (tls.clientCertFile === undefined || tls.clientKeyFile === undefined)) {
    throw new Error('startRedis: tls.authClients yes needs clientCertFile and clientKeyFile for the readiness probe');
  }
  return [
    '--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile,
    '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', tls.authClients, '--tls-replication', 'yes', ...args,
  ];
}

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const port = await getFreePort();
  const dir = makeTempDir('redis');
  const dataDir = join(dir.path, 'data');
  const args = (): string[] => [
    ...accessArguments(options, port), '--bind', '127.0.0.1', '--dir', dir.path, '--appendonly', 'yes', '--appendfsync', 'always',
    '--appenddirname', 'data', '--save', '', '--repl-diskless-sync-delay', '0', '--daemonize', 'no', '--loglevel', 'warning',
    '--notify-keyspace-events', options.keyspaceEvents ?? '',
    ...(options.password !== undefined ? ['--requirepass', options.password] : []),
    ...(options.extraArguments ?? []),
  ];
  const run = restartableProcess(REDIS_BINARY, args);
  const waitReady = async (): Promise<void> => {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000);
    while (Date.now() < deadline) {
      if (!run.running()) throw new Error(`redis-server exited:\n${server.output().slice(-4000)}`);
      if (await answersPing(port, options.tls)) return;
      await sleep(30);
    }
    throw new Error(`redis-server not answering after ${options.readyTimeoutMs ?? 15_000} ms:\n${server.output().slice(-4000)}`);
  };
  const server: RedisServer = {
    host: '127.0.0.1',
    port,
    url: `${options.tls !== undefined ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    pid: run.pid,
    running: run.running,
    output: run.output,
    stop: run.stop,
    async start(startOptions = {}) {
      if (run.running()) return;
      if (startOptions.loseData) rmSync(dataDir, { recursive: true, force: true });
      run.launch();
      await waitReady();
    },
    freeze() {
      const pid = server.pid();
      if (pid !== undefined) process.kill(pid, 'SIGSTOP');
    },
    thaw() {
      const pid = server.pid();
      if (pid !== undefined) process.kill(pid, 'SIGCONT');
    },
    async destroy() {
      await server.stop('SIGKILL');
      dir.remove();
    },
  };
  run.launch();
  try {
    await waitReady();
  } catch (error) {
    await server.destroy();
    throw error;
  }
  return server;
}
