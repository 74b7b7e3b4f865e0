/**
 * Test fixtures: snapshots of typical members, a controller double that
 * records every call, and raw HTTP helpers that show exactly what went over
 * the wire (bare status lines included).
 */
import { connect } from 'node:net';
import type { Cluster, DcsResult, FailoverValue, Member, PeerStatus } from '@pgwarden/core';
import {
  createRestApi,
  type FailsafeOutcome,
  type FailsafeRequest,
  type MemberController,
  type MemberSnapshot,
  type PostgresObservation,
  type ReinitializeOutcome,
  type RestApi,
  type RestApiOptions,
  type RestartOutcome,
  type RestartRequest,
  type ScheduledRestartRequest,
} from '../src/index.js';

export const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
export const LEADER_LSN = 500 * 1024 * 1024;

export function member(name: string, data: Member['data'] = {}): Member {
  return {
    name,
    version: 1,
    data: {
      conn_url: `postgres://127.0.0.1:54${name.slice(-1)}/postgres`,
      api_url: `http://127.0.0.1:80${name.slice(-1)}/patroni`,
      state: 'running',
      role: 'replica',
      xlog_location: LEADER_LSN,
      ...data,
    },
  };
}

export function cluster(overrides: Partial<Cluster> = {}): Cluster {
  return {
    members: [member('node1', { role: 'primary' }), member('node2', { replication_state: 'streaming' }), member('node3')],
    leader: { name: 'node1', version: 5 },
    lastLsn: LEADER_LSN,
    config: { version: 7, modifyVersion: 7, data: { ttl: 30, loop_wait: 10 } },
    ...overrides,
  };
}

export function primaryPostgres(overrides: Partial<PostgresObservation> = {}): PostgresObservation {
  return {
    dataDirectory: 'valid',
    running: true,
    accepting: true,
    inRecovery: false,
    hasRecoveryConfig: false,
    systemIdentifier: '7268616322854375442',
    timeline: 2,
    walPosition: LEADER_LSN,
    replication: [
      { applicationName: 'node2', clientAddress: '127.0.0.1', state: 'streaming', syncState: 'async', syncPriority: 0, userName: 'replicator' },
    ],
    pendingRestart: {},
    serverVersion: 150004,
    postmasterStartTime: '2026-01-15T11:00:00.000Z',
    ...overrides,
  };
}

export function replicaPostgres(overrides: Partial<PostgresObservation> = {}): PostgresObservation {
  return primaryPostgres({
    inRecovery: true,
    hasRecoveryConfig: true,
    walPosition: LEADER_LSN,
    receivedLsn: LEADER_LSN,
    replayedLsn: LEADER_LSN,
    replicationState: 'streaming',
    replayedTimestamp: '2026-01-15 11:59:59.5+00:00',
    replayPaused: false,
    replication: [],
    ...overrides,
  });
}

/** node1, the primary holding the lock, everything fresh. */
export function primarySnapshot(overrides: Partial<MemberSnapshot> = {}): MemberSnapshot {
  return {
    name: 'node1',
    scope: 'demo',
    version: '4.0.4',
    role: 'primary',
    state: 'running',
    postgres: primaryPostgres(),
    tags: {},
    paused: false,
    standbyCluster: false,
    synchronousMode: false,
    failsafeMode: false,
    ttlSeconds: 30,
    loopWaitSeconds: 10,
    maximumLagOnFailoverBytes: 1024 * 1024,
    cluster: cluster(),
    clusterReadAtMs: NOW_MS - 1000,
    dcsLastSeenMs: NOW_MS - 1000,
    lockRenewedAtMs: NOW_MS - 1000,
    failsafeActive: false,
    nextCycleAtMs: NOW_MS + 9000,
    ...overrides,
  };
}

/** node2, a streaming replica of node1. */
export function replicaSnapshot(overrides: Partial<MemberSnapshot> = {}): MemberSnapshot {
  const { lockRenewedAtMs: _unused, ...base } = primarySnapshot();
  return { ...base, name: 'node2', role: 'replica', postgres: replicaPostgres(), ...overrides };
}

export type Call = { readonly method: string; readonly args: readonly unknown[] };

/** A MemberController that records calls and answers what the test set up. */
export class RecordingController implements MemberController {
  readonly calls: Call[] = [];
  /** Successive answers of getCluster(); the last one repeats. */
  clusters: DcsResult<Cluster>[] = [{ ok: true, value: cluster() }];
  setConfigResult: DcsResult<void> = { ok: true, value: undefined };
  setFailoverResult: DcsResult<void> = { ok: true, value: undefined };
  peerStatuses: (members: readonly Member[]) => PeerStatus[] = (members) =>
    members.map((m) => ({ name: m.name, reachable: true, role: 'replica', tags: {} }));
  restartOutcome: RestartOutcome | Error = { ok: true, message: 'restarted successfully' };
  scheduleRestartResult = true;
  cancelRestartResult = true;
  /** Set by a test to answer GET /patroni's refresh; undefined: no refresh (as a controller without it). */
  refreshStatus?: () => Promise<void>;
  reinitializeOutcome: ReinitializeOutcome = { ok: true };
  failsafeOutcome: FailsafeOutcome = { accepted: true, lsn: 1234 };
  private clusterReads = 0;

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  /** Calls other than reads: what changed state. */
  writes(): Call[] {
    return this.calls.filter((call) => !['getCluster', 'fetchPeerStatuses'].includes(call.method));
  }

  async getCluster(): Promise<DcsResult<Cluster>> {
    this.record('getCluster');
    const index = Math.min(this.clusterReads, this.clusters.length - 1);
    this.clusterReads += 1;
    return this.clusters[index] ?? { ok: false, reason: 'unreachable', message: 'no cluster set up' };
  }
  async setConfig(value: Readonly<Record<string, unknown>>, version?: number): Promise<DcsResult<void>> {
    this.record('setConfig', value, version);
    return this.setConfigResult;
  }
  async setFailover(value: FailoverValue, version?: number): Promise<DcsResult<void>> {
    this.record('setFailover', value, version);
    return this.setFailoverResult;
  }
  async fetchPeerStatuses(members: readonly Member[]): Promise<readonly PeerStatus[]> {
    this.record('fetchPeerStatuses', members.map((m) => m.name));
    return this.peerStatuses(members);
  }
  async restart(request: RestartRequest): Promise<RestartOutcome> {
    this.record('restart', request);
    if (this.restartOutcome instanceof Error) throw this.restartOutcome;
    return this.restartOutcome;
  }
  async scheduleRestart(request: ScheduledRestartRequest): Promise<boolean> {
    this.record('scheduleRestart', request);
    return this.scheduleRestartResult;
  }
  async cancelScheduledRestart(): Promise<boolean> {
    this.record('cancelScheduledRestart');
    return this.cancelRestartResult;
  }
  reload(): void {
    this.record('reload');
  }
  async reinitialize(request: { force: boolean; fromLeader: boolean }): Promise<ReinitializeOutcome> {
    this.record('reinitialize', request);
    return this.reinitializeOutcome;
  }
  acceptFailsafe(request: FailsafeRequest): FailsafeOutcome {
    this.record('acceptFailsafe', request);
    return this.failsafeOutcome;
  }
  wake(): void {
    this.record('wake');
  }
}

export interface RunningApi {
  readonly api: RestApi;
  readonly port: number;
  readonly base: string;
  readonly controller: RecordingController;
  readonly clock: { now: number };
}

const running: RestApi[] = [];

/** Start an API on a free loopback port (port 0), with a settable clock. */
export async function startApi(
  snapshot: MemberSnapshot | undefined,
  options: Partial<RestApiOptions> = {},
  controller = new RecordingController(),
): Promise<RunningApi> {
  const clock = { now: NOW_MS };
  const api = createRestApi({
    config: { listen: '127.0.0.1:0' },
    controller,
    now: () => clock.now,
    switchoverPollIntervalMs: 5,
    switchoverTimeoutMs: 200,
    ...options,
  });
  if (snapshot !== undefined) api.setSnapshot(snapshot);
  await api.start();
  running.push(api);
  const port = api.address?.port ?? 0;
  return { api, port, base: `http://127.0.0.1:${port}`, controller, clock };
}

/** Stop every API started by startApi (call from afterEach/afterAll). */
export async function stopAll(): Promise<void> {
  await Promise.all(running.splice(0).map((api) => api.stop()));
}

/** Send a raw HTTP/1.1 request; resolves with everything the server sent until it closed. */
export function rawRequest(port: number, method: string, path: string, headers: Record<string, string> = {}, body = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const head = Object.entries({ Host: 'localhost', Connection: 'close', ...headers })
      .map(([key, value]) => `${key}: ${value}\r\n`)
      .join('');
    socket.on('connect', () => socket.write(`${method} ${path} HTTP/1.1\r\n${head}\r\n${body}`));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

/** Status code of a bare status-line answer (HEAD/OPTIONS/liveness/readiness). */
export async function bareStatus(port: number, method: string, path: string): Promise<number> {
  const answer = await rawRequest(port, method, path);
  const match = /^HTTP\/1\.0 (\d{3}) [^\r\n]+\r\n\r\n$/.exec(answer);
  if (match === null) throw new Error(`not a bare status line: ${JSON.stringify(answer)}`);
  return Number(match[1]);
}

export async function send(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}
