/**
 * Write availability as the servers offer it, apart from what a client pays
 * to find the new primary: one session to every member, opened before the
 * event, each trying an INSERT every `intervalMs`. A standby refuses it (read
 * only) at once and keeps the session; the promoted standby accepts the
 * first INSERT after its promotion on the session it already had. The
 * longest time between two accepted INSERTs (any member) is how long no
 * member took writes.
 *
 * Why beside the reconnecting writer: on this 2-core machine opening a
 * session costs 20–140 ms while three PostgreSQL servers, three agents and
 * etcd share the cores (traced), so a client that reconnects reports the
 * servers' gap plus one or two of its own connection attempts; reconnecting
 * harder loads the servers and makes the gap itself longer (measured).
 * Rows get ids from `firstId` up so that they never collide with the other
 * writer's.
 */
import pg from 'pg';

export interface StandingWriterReport {
  /** Longest time between two accepted INSERTs, any member (ms). */
  readonly longestGapMs: number;
  readonly accepted: number;
}

export class StandingWriter {
  private stopped = false;
  private readonly acceptedAt: number[] = [];
  private loops: Promise<void>[] = [];
  private next: number;

  constructor(
    private readonly ports: readonly number[],
    private readonly credentials: { user: string; password: string },
    private readonly table: string,
    firstId: number,
    private readonly intervalMs = 10,
  ) {
    this.next = firstId;
  }

  /** Resolves once every member has an open session (or refused one). */
  async start(): Promise<void> {
    const sessions = await Promise.all(this.ports.map((port) => this.open(port)));
    this.loops = this.ports.map((port, index) => this.run(port, sessions[index]));
  }

  async stop(): Promise<StandingWriterReport> {
    this.stopped = true;
    await Promise.all(this.loops);
    const times = [...this.acceptedAt].sort((a, b) => a - b);
    let longestGapMs = 0;
    for (let index = 1; index < times.length; index++) longestGapMs = Math.max(longestGapMs, (times[index] ?? 0) - (times[index - 1] ?? 0));
    return { longestGapMs: Math.round(longestGapMs), accepted: times.length };
  }

  private async open(port: number): Promise<pg.Client | undefined> {
    const client = new pg.Client({ host: '127.0.0.1', port, database: 'postgres', ...this.credentials, connectionTimeoutMillis: 2000, statement_timeout: 5000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch {
      await client.end().catch(() => undefined);
      return undefined;
    }
  }

  private async run(port: number, first: pg.Client | undefined): Promise<void> {
    let client = first;
    while (!this.stopped) {
      if (client === undefined) {
        // The old primary's session ended with its shutdown; a new one now and then is enough
        // (it comes back as a standby).
        await new Promise((resolve) => setTimeout(resolve, 200));
        client = await this.open(port);
        continue;
      }
      try {
        await client.query(`INSERT INTO ${this.table} (id) VALUES ($1)`, [this.next++]);
        this.acceptedAt.push(performance.now());
      } catch (error) {
        // A standby's "read-only transaction" leaves the session usable; anything else ends it.
        if (!/read-only transaction/.test(String((error as Error).message))) {
          await client.end().catch(() => undefined);
          client = undefined;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
    }
    await client?.end().catch(() => undefined);
  }
}
