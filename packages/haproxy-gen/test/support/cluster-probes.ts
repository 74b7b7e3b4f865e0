/**
 * Probes of a real cluster seen through HAProxy: which member served a new
 * session (asked of PostgreSQL: its port and pg_is_in_recovery()), timed
 * samples of that, and what HAProxy itself thinks of each server
 * (`show stat` on the admin socket).
 */
import { createConnection } from 'node:net';
import pg from 'pg';
import { clusterPasswords, waitUntil } from '@pgwarden/testkit';

export interface Served {
  readonly port: number;
  readonly recovery: boolean;
}

export interface Sample {
  readonly atMs: number;
  readonly served?: Served;
  readonly error?: string;
}

/** Open one new session through `port` and ask PostgreSQL which member it is. */
export async function whoServes(port: number, timeoutMs = 3_000): Promise<Served> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: clusterPasswords.superuser.username,
    password: clusterPasswords.superuser.password,
    database: 'postgres',
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const rows = (await client.query<{ recovery: boolean; port: string }>("SELECT pg_is_in_recovery() AS recovery, current_setting('port') AS port")).rows;
    const row = rows[0];
    if (row === undefined) throw new Error('no row');
    return { port: Number(row.port), recovery: row.recovery };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function sample(port: number, startedAt: number): Promise<Sample> {
  try {
    return { atMs: Date.now() - startedAt, served: await whoServes(port, 2_000) };
  } catch (error) {
    return { atMs: Date.now() - startedAt, error: error instanceof Error ? error.message : String(error) };
  }
}

export async function execThrough(port: number, text: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: clusterPasswords.superuser.username, password: clusterPasswords.superuser.password, database: 'postgres', connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Ask the HAProxy admin socket for `show stat`: server name → status, for one backend. */
export function serverStatuses(socketPath: string, backend: string): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let answer = '';
    socket.setTimeout(3_000, () => socket.destroy(new Error('admin socket timed out')));
    socket.on('connect', () => socket.end('show stat\n'));
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const [header = '', ...lines] = answer.split('\n');
      const columns = header.replace(/^# /, '').split(',');
      const statusAt = columns.indexOf('status');
      const statuses = new Map<string, string>();
      for (const line of lines) {
        const fields = line.split(',');
        if (fields[0] === backend && fields[1] !== 'BACKEND' && fields[1] !== 'FRONTEND' && fields[1] !== undefined) statuses.set(fields[1], fields[statusAt] ?? '');
      }
      resolve(statuses);
    });
  });
}

/** Until the primary backend has only `leader` UP and the replicas backend has every other running member UP and not `leader`. */
export async function waitForRouting(adminSocket: string, leader: string, running: readonly string[]): Promise<void> {
  let last = '';
  await waitUntil(
    async () => {
      const primary = await serverStatuses(adminSocket, 'pgwarden_primary');
      const replicas = await serverStatuses(adminSocket, 'pgwarden_replicas');
      last = JSON.stringify({ primary: [...primary], replicas: [...replicas] });
      return running.every((name) => (primary.get(name) === 'UP') === (name === leader) && (replicas.get(name) === 'UP') === (name !== leader));
    },
    { timeoutMs: 20_000, intervalMs: 100, what: `HAProxy to route to ${leader} as primary` },
  ).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; last: ${last}`);
  });
}

export interface SwitchoverSamples<T> {
  /** What the switchover request answered. */
  readonly answer: T;
  /** When the candidate, asked directly, first answered writable; undefined if never. */
  readonly promotedAtMs: number | undefined;
  /** New sessions through the primary port, until five in a row reached the candidate writable (or the bound ran out). */
  readonly primaryPort: readonly Sample[];
  readonly steady: boolean;
  /** New sessions through the replica port over the same time. */
  readonly replicaPort: readonly Sample[];
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Run `request` (the switchover) while three probes sample every ~100 ms:
 * the candidate directly (when is it writable), the primary port and the
 * replica port through HAProxy. Times are from the start of the request.
 */
export async function sampleSwitchover<T>(ports: { primary: number; replica: number; candidate: number }, boundMs: number, request: () => Promise<T>): Promise<SwitchoverSamples<T>> {
  const startedAt = Date.now();
  let done = false;
  let promotedAtMs: number | undefined;
  const direct = (async () => {
    while (!done && promotedAtMs === undefined) {
      const served = await whoServes(ports.candidate, 1_000).catch(() => undefined);
      if (served?.recovery === false) promotedAtMs = Date.now() - startedAt;
      else await pause(100);
    }
  })();
  const primary: Sample[] = [];
  let streak = 0;
  const through = (async () => {
    while (streak < 5 && Date.now() - startedAt < boundMs) {
      const next = await sample(ports.primary, startedAt);
      primary.push(next);
      streak = next.served?.port === ports.candidate && !next.served.recovery ? streak + 1 : 0;
      await pause(100);
    }
  })();
  const replica: Sample[] = [];
  const reads = (async () => {
    while (!done) {
      replica.push(await sample(ports.replica, startedAt));
      await pause(100);
    }
  })();
  try {
    const answer = await request();
    await through;
    return { answer, promotedAtMs, primaryPort: primary, steady: streak >= 5, replicaPort: replica };
  } finally {
    done = true;
    await Promise.all([direct, through.catch(() => undefined), reads]);
  }
}
