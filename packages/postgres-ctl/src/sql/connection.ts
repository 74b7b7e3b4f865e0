/**
 * The one reused local connection (Patroni's heartbeat connection): short
 * connect and statement timeouts so a hung server cannot stall the HA cycle,
 * and a failed query drops the connection so the next call reconnects.
 */
import pg from 'pg';
import { PgwardenError } from '@pgwarden/core';
import type { Logger } from '../logger.js';

export interface ConnectionSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly database: string;
  readonly connectTimeoutSeconds: number;
  readonly statementTimeoutMs: number;
  readonly applicationName: string;
  /** `true`: a physical replication connection, as a standby's (IDENTIFY_SYSTEM, TIMELINE_HISTORY); pg_hba's `replication` lines apply. */
  readonly replication?: 'true';
  /** Extra libpq-ish options (ssl) are not needed on the local socket/loopback. */
}

export type Row = Record<string, unknown>;

export class ReusedConnection {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  /** The statement sent last; the next waits for it (see query()). */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly settings: () => ConnectionSettings,
    private readonly logger: Logger,
  ) {}

  /**
   * One statement at a time, in call order: the cycle's observation, a
   * promotion's poll and GET /patroni's refresh may ask at once, and pg
   * queues a second query on a busy client only with a deprecation warning
   * (pg 9 refuses it).
   */
  query<T extends Row = Row>(text: string, values: readonly unknown[] = []): Promise<T[]> {
    const run = this.tail.then(() => this.send<T>(text, values));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async send<T extends Row>(text: string, values: readonly unknown[]): Promise<T[]> {
    const client = await this.connect();
    try {
      const result = await client.query<T>(text, values as unknown[]);
      return result.rows;
    } catch (error) {
      if (isConnectionFailure(error)) await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.connecting = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  private connect(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.openClient().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async openClient(): Promise<pg.Client> {
    const client = openClient(this.settings());
    client.on('error', (error) => {
      this.logger.debug({ error: error.message }, 'local connection lost');
      if (this.client === client) this.client = undefined;
    });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    return client;
  }
}

/**
 * A plain SQL error (a SQLSTATE outside class 08 "connection exception" and
 * 57P "operator intervention") leaves the connection usable; anything else
 * (timeouts, resets, shutdown) means reconnect next time.
 */
function isConnectionFailure(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? (error as { code?: unknown }).code : undefined;
  return typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || code.startsWith('08') || code.startsWith('57P');
}

export function openClient(settings: ConnectionSettings): pg.Client {
  // pg sends `replication` as a startup parameter; its type definitions do not list it.
  const replication: { replication?: string } = settings.replication === undefined ? {} : { replication: settings.replication };
  const config: pg.ClientConfig = {
    host: settings.host,
    port: settings.port,
    user: settings.user,
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    database: settings.database,
    connectionTimeoutMillis: settings.connectTimeoutSeconds * 1000,
    statement_timeout: settings.statementTimeoutMs,
    query_timeout: settings.statementTimeoutMs + 1000,
    application_name: settings.applicationName,
    ...replication,
  };
  return new pg.Client(config);
}

/** Run `fn` on a fresh connection (remote checks, long statements) and always close it. */
export async function withClient<T>(settings: ConnectionSettings, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = openClient(settings);
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function sqlError(code: string, what: string, error: unknown): PgwardenError {
  return new PgwardenError(code, `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
