/**
 * One ZooKeeper session over node-zookeeper-client, with the properties the
 * leader lock needs and the library does not give by itself:
 *
 * - **No automatic pings.** The library pings whenever the socket is idle,
 *   which would keep our ephemeral znodes alive as long as the process runs,
 *   even when the agent's cycle is stuck. Here only the agent's own requests
 *   keep the session alive, so the session (and the leader znode) expires
 *   `session timeout` after the last request the server heard, exactly like an
 *   etcd lease that is no longer kept alive.
 * - **Send times of answered requests.** `lastAnsweredSendMs` is the clock
 *   reading taken when the newest request that the server answered was sent,
 *   on the current session: a lower bound of when the server last heard from
 *   us, hence of when the session can expire (see the README's argument).
 * - **Deadlines.** Requests are sent only while connected (as Patroni does
 *   with kazoo), each attempt has a timeout; a timed-out attempt drops the
 *   socket so the library moves to the next server; everything ends by the
 *   caller's deadline with a thrown `ZkUnavailableError`.
 * - **A bounded handshake.** The library's connect timer only covers the TCP
 *   connect; a server that accepts the connection but never answers the
 *   session handshake (a restarting server does, while it loads its data)
 *   kept the client waiting forever. Here an unanswered handshake drops the
 *   socket after session timeout / number of servers (kazoo's bound) and the
 *   library tries the next server.
 * - **A new session after expiry.** When the server says the session expired
 *   the client is replaced by a fresh one (its ephemeral znodes are gone).
 * - **A retired client stays quiet.** A closed or replaced client opens no
 *   new socket; one that is not connected is dropped without a handshake.
 *
 * The internals touched (`connectionManager.onSocketTimeout`, `updateTimeout`,
 * `connectTimeout`, `onSocketConnected`, `findNextServer`, `setState`,
 * `state`, `servers`, `sessionTimeout`, `socket`) are those of
 * node-zookeeper-client 1.1.3, pinned exactly in package.json.
 */
import zookeeper, { type Client, type Event } from 'node-zookeeper-client';
import type { Logger } from '@pgwarden/core';

/** A definitive answer of the server that is not a success. */
export type ZkRefusal = 'no-node' | 'node-exists' | 'bad-version' | 'not-empty';
export type ZkAnswer<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: ZkRefusal };

export class ZkUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ZkUnavailableError';
  }
}

interface ManagerInternals {
  onSocketTimeout: () => void;
  onSocketConnected: () => void;
  findNextServer: (callback: (server: unknown) => void) => void;
  setState: (state: number) => void;
  state: number;
  servers: readonly unknown[];
  sessionTimeout: number;
  onSocketClosed: (hasError: boolean) => void;
  onSocketData: (buffer: Buffer) => void;
  pendingBuffer: Buffer | null;
  updateTimeout: (timeoutMs: number) => void;
  connectTimeout: number;
  socket?: { destroy(): void; remotePort?: number };
}

/** The connection manager's states (lib/ConnectionManager.js). */
const MANAGER = { disconnected: 0, connecting: 1, connected: 2, connectedReadOnly: 3, closing: -1, closed: -2 } as const;

const REFUSALS: ReadonlyMap<number, ZkRefusal> = new Map([
  [zookeeper.Exception.NO_NODE, 'no-node'],
  [zookeeper.Exception.NODE_EXISTS, 'node-exists'],
  [zookeeper.Exception.BAD_VERSION, 'bad-version'],
  [zookeeper.Exception.NOT_EMPTY, 'not-empty'],
]);

export interface ZkConnectionOptions {
  readonly connectionString: string;
  /** Asked of the server; it may grant another value within its min/max session timeout. */
  readonly sessionTimeoutMs: number;
  readonly retryTimeoutMs: () => number;
  readonly clock: () => number;
  readonly logger: Logger;
  /** Called when a new session replaced an expired one (watches must be set again). */
  readonly onNewSession?: () => void;
}

export type Callback<T> = (error: unknown, value?: T) => void;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class ZkConnection {
  private client: Client;
  private sessionTimeoutMs: number;
  private answeredSendMs: number | undefined;
  private generation = 0;
  private closed = false;
  /** Requests sent since creation, by operation: the per-cycle figure of the README. */
  readonly counts = { total: 0, byOperation: {} as Record<string, number> };

  constructor(private readonly options: ZkConnectionOptions) {
    this.sessionTimeoutMs = options.sessionTimeoutMs;
    this.client = this.open();
  }

  private open(): Client {
    const client = zookeeper.createClient(this.options.connectionString, { sessionTimeout: this.sessionTimeoutMs, spinDelay: 200, retries: 0 });
    const manager = managerOf(client);
    const generation = ++this.generation;
    manager.onSocketTimeout = () => undefined;
    patchFraming(manager, this.options.logger);
    boundHandshake(manager, this.options.logger, () => this.closed || generation !== this.generation);
    const updateTimeout = manager.updateTimeout.bind(manager);
    manager.updateTimeout = (timeoutMs: number) => {
      updateTimeout(timeoutMs);
      // Patroni tries the next server after max(1, retry_timeout/2) s rather than session timeout / servers.
      manager.connectTimeout = Math.max(1000, this.options.retryTimeoutMs() / 2);
    };
    manager.updateTimeout(this.sessionTimeoutMs);
    client.on('state', (state) => this.options.logger.debug({ state: state.name, generation }, 'zookeeper connection state'));
    client.once('expired', () => {
      if (generation !== this.generation || this.closed) return;
      this.options.logger.warn({ generation }, 'zookeeper session expired; opening a new session');
      this.replace();
    });
    client.connect();
    this.answeredSendMs = undefined;
    return client;
  }

  private replace(): void {
    const old = this.client;
    this.client = this.open();
    retire(old);
    this.options.onNewSession?.();
  }

  /** A new session with another timeout (Patroni restarts the session on a ttl change). */
  restart(sessionTimeoutMs: number): void {
    this.sessionTimeoutMs = sessionTimeoutMs;
    this.replace();
  }

  /** The session id (hex) once connected: the `ephemeralOwner` of our znodes. */
  sessionId(): string | undefined {
    if (!this.connected()) return undefined;
    const id = this.client.getSessionId();
    return id.length > 0 && !id.every((byte) => byte === 0) ? id.toString('hex') : undefined;
  }

  /** What the server granted (ms); before the first connection, what we asked. */
  negotiatedTimeoutMs(): number {
    return this.client.getSessionTimeout();
  }

  /** The injected clock's reading. */
  now(): number {
    return this.options.clock();
  }

  /** Send time of the newest answered request on the current session. */
  get lastAnsweredSendMs(): number | undefined {
    return this.answeredSendMs;
  }

  /** The server port of the current connection (tests: which server we talk to). */
  serverPort(): number | undefined {
    return managerOf(this.client).socket?.remotePort;
  }

  private connected(): boolean {
    return this.client.getState() === zookeeper.State.SYNC_CONNECTED;
  }

  private async waitConnected(deadline: number): Promise<void> {
    while (!this.connected()) {
      if (this.closed) throw new ZkUnavailableError('the connection is closed');
      if (performance.now() >= deadline) throw new ZkUnavailableError('not connected to any ZooKeeper server');
      await sleep(20);
    }
  }

  /**
   * Run one request until the server answers or `deadline` (performance.now()
   * ms) passes. Server refusals (no node, node exists, bad version, not
   * empty) are answers; connection loss, timeouts and expiry are retried.
   */
  async run<T>(operation: string, deadline: number, send: (client: Client, done: Callback<T>) => void): Promise<ZkAnswer<T>> {
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await sleep(Math.min(100 * 2 ** (attempt - 1), 1000, Math.max(0, deadline - performance.now())));
      if (performance.now() >= deadline) break;
      try {
        await this.waitConnected(deadline);
        return await this.attempt(operation, deadline, send);
      } catch (error) {
        lastError = error;
        if (this.closed) break;
      }
    }
    throw lastError instanceof ZkUnavailableError ? lastError : new ZkUnavailableError(`${operation}: ${describe(lastError)}`, { cause: lastError });
  }

  private attempt<T>(operation: string, deadline: number, send: (client: Client, done: Callback<T>) => void): Promise<ZkAnswer<T>> {
    const client = this.client;
    const generation = this.generation;
    const attemptMs = Math.max(1000, this.options.retryTimeoutMs() / 3);
    const timeoutMs = Math.max(1, Math.min(attemptMs, deadline - performance.now()));
    this.counts.total++;
    this.counts.byOperation[operation] = (this.counts.byOperation[operation] ?? 0) + 1;
    const sentAt = this.options.clock();
    return new Promise<ZkAnswer<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        // An unanswered request: give up on this server; the library reconnects to the next one.
        managerOf(client).socket?.destroy();
        reject(new ZkUnavailableError(`${operation}: no answer within ${Math.round(timeoutMs)} ms`));
      }, timeoutMs);
      send(client, (error, value) => {
        clearTimeout(timer);
        const code = error instanceof zookeeper.Exception ? error.getCode() : undefined;
        const refusal = code === undefined ? undefined : REFUSALS.get(code);
        if (error && refusal === undefined) {
          reject(new ZkUnavailableError(`${operation}: ${describe(error)}`, { cause: error }));
          return;
        }
        if (generation === this.generation) this.answeredSendMs = Math.max(this.answeredSendMs ?? sentAt, sentAt);
        resolve(refusal === undefined ? { ok: true, value: value as T } : { ok: false, refusal });
      });
    });
  }

  /** Close the session (its ephemeral znodes are deleted at once) and stop reconnecting. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const client = this.client;
    if (!this.connected()) {
      retire(client);
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        // No answer to the close: drop the socket (CLOSING: no reconnect); the server expires the session.
        managerOf(client).socket?.destroy();
        resolve();
      }, 1000);
      client.once('disconnected', () => {
        clearTimeout(timer);
        resolve();
      });
      client.close();
    });
  }
}

function managerOf(client: Client): ManagerInternals {
  return (client as unknown as { connectionManager: ManagerInternals }).connectionManager;
}

/**
 * Stop a client we no longer use: a connected one closes its session (its
 * ephemeral znodes go at once); one that is not connected has no session to
 * close and is only dropped — no handshake is started for it, and its
 * pending reconnect, if any, opens no socket (`boundHandshake`).
 */
function retire(client: Client): void {
  const manager = managerOf(client);
  if (manager.state === MANAGER.connected || manager.state === MANAGER.connectedReadOnly) {
    client.close();
    return;
  }
  if (manager.state === MANAGER.closed || manager.state === MANAGER.closing) return;
  // CLOSING: the socket's close ends in CLOSED (no reconnect), queued requests fail with connection loss.
  manager.setState(MANAGER.closing);
  if (manager.socket) manager.socket.destroy();
  else manager.setState(MANAGER.closed);
}

/**
 * The library's connect timer stops at the TCP connect; the session handshake
 * (connect request → connect response) had no deadline, and the socket's idle
 * timer is off here (no pings). A server that accepts a connection but never
 * answers the handshake — seen with a ZooKeeper restarting on a loaded
 * machine: the port is open before the server can create sessions — left the
 * client in CONNECTING for good, never trying again. Now the handshake must
 * be answered within kazoo's bound, session timeout / number of servers (at
 * least the TCP connect timeout), else the socket is dropped and the library
 * tries the next server, as after any connection loss (same session id, so a
 * live session is kept). A retired client (closed, or replaced after expiry)
 * opens no new socket.
 */
function boundHandshake(manager: ManagerInternals, logger: Logger, retired: () => boolean): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const disarm = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const onSocketConnected = manager.onSocketConnected.bind(manager);
  manager.onSocketConnected = () => {
    onSocketConnected();
    disarm();
    const socket = manager.socket;
    const timeoutMs = Math.max(manager.connectTimeout, manager.sessionTimeout / Math.max(1, manager.servers.length));
    timer = setTimeout(() => {
      timer = undefined;
      if (manager.socket !== socket || manager.state === MANAGER.connected || manager.state === MANAGER.connectedReadOnly) return;
      logger.warn({ timeoutMs: Math.round(timeoutMs), port: socket?.remotePort }, 'zookeeper: no answer to the session handshake; trying the next server');
      socket?.destroy();
    }, timeoutMs);
  };
  const setState = manager.setState.bind(manager);
  manager.setState = (state: number) => {
    // Answered (connected, or told the session expired) or the socket closed: the handshake is over.
    if (state !== MANAGER.connecting && state !== MANAGER.closing) disarm();
    setState(state);
  };
  const findNextServer = manager.findNextServer.bind(manager);
  manager.findNextServer = (callback) =>
    findNextServer((server) => {
      if (!retired()) {
        callback(server);
        return;
      }
      if (manager.state !== MANAGER.closed) manager.setState(MANAGER.closed);
    });
}

/**
 * Two defects of the library's framing, fixed here: a partial packet kept
 * from a closed socket was prepended to the next connection's bytes, and a
 * packet it cannot decode threw from the socket's data handler (an uncaught
 * exception). Now a closed socket forgets its partial packet, and an
 * undecodable packet drops the connection (the library reconnects).
 */
function patchFraming(manager: ManagerInternals, logger: Logger): void {
  const onSocketClosed = manager.onSocketClosed.bind(manager);
  manager.onSocketClosed = (hasError: boolean) => {
    manager.pendingBuffer = null;
    onSocketClosed(hasError);
  };
  const onSocketData = manager.onSocketData.bind(manager);
  manager.onSocketData = (buffer: Buffer) => {
    try {
      onSocketData(buffer);
    } catch (error) {
      logger.warn({ error: describe(error) }, 'zookeeper: undecodable answer; reconnecting');
      manager.pendingBuffer = null;
      manager.socket?.destroy();
    }
  };
}

export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error instanceof zookeeper.Exception) return error.toString();
  return String(error);
}

export type { Event as ZkEvent };
