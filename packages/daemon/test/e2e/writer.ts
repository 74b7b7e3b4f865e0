/**
 * A client that keeps writing through a multi-host connection string with
 * `target_session_attrs=read-write`, as libpq does it (node-postgres has no
 * multi-host support) but trying the hosts at once rather than in order:
 * keep the first session that is not read-only, reconnect on any error.
 * Every acknowledged write is recorded with its time, so a test can check
 * that none is lost and measure how long writes were unavailable.
 */
import pg from 'pg';

export interface WriterHost {
  readonly port: number;
}

export interface WriterReport {
  readonly acknowledged: readonly number[];
  /** Longest time between two acknowledged writes while the writer ran (ms). */
  readonly longestGapMs: number;
  readonly failures: number;
}

export class ReadWriteWriter {
  private stopped = false;
  private readonly acknowledged: number[] = [];
  private readonly acknowledgedAt: number[] = [];
  private failures = 0;
  private loop: Promise<void> | undefined;

  /**
   * `retryDelayMs`: the pause before a host that failed or was read-only is
   * tried again (default 50 ms). Shorter is not better on a small machine:
   * at 10 ms the new sessions loaded the servers and a switchover's own gap
   * grew (346–395 ms instead of 242–293, measured).
   */
  constructor(
    private readonly hosts: readonly WriterHost[],
    private readonly credentials: { user: string; password: string },
    private readonly table: string,
    private readonly retryDelayMs = 50,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<WriterReport> {
    this.stopped = true;
    await this.loop;
    let longestGapMs = 0;
    for (let index = 1; index < this.acknowledgedAt.length; index++) {
      longestGapMs = Math.max(longestGapMs, (this.acknowledgedAt[index] ?? 0) - (this.acknowledgedAt[index - 1] ?? 0));
    }
    return { acknowledged: [...this.acknowledged], longestGapMs, failures: this.failures };
  }

  get count(): number {
    return this.acknowledged.length;
  }

  /**
   * Every host at once, each tried again `retryDelayMs` after it failed or
   * was read-only, until one gives a session that is not read-only (the
   * others stop and close theirs); undefined only once stopped. Under load a
   * session costs 20–140 ms to open (measured): hosts tried in turn hid when
   * the new primary began to take writes.
   */
  private connectReadWrite(): Promise<pg.Client | undefined> {
    return new Promise((resolve) => {
      let done = false;
      const take = (client: pg.Client | undefined): boolean => {
        if (done) return false;
        done = true;
        resolve(client);
        return true;
      };
      const tryHost = async (host: WriterHost): Promise<void> => {
        while (!done && !this.stopped) {
          const client = new pg.Client({ host: '127.0.0.1', port: host.port, database: 'postgres', ...this.credentials, connectionTimeoutMillis: 2000, statement_timeout: 5000 });
          client.on('error', () => undefined);
          try {
            await client.connect();
            const rows = await client.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
            if (rows.rows[0]?.transaction_read_only === 'off' && take(client)) return;
          } catch {
            // this host again after the pause
          }
          await client.end().catch(() => undefined);
          if (!done) await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
        }
      };
      let running = this.hosts.length;
      if (running === 0) take(undefined);
      for (const host of this.hosts) {
        void tryHost(host).finally(() => {
          running -= 1;
          if (running === 0) take(undefined);
        });
      }
    });
  }

  private async run(): Promise<void> {
    let client: pg.Client | undefined;
    let next = 1;
    while (!this.stopped) {
      client ??= await this.connectReadWrite();
      if (client === undefined) continue;
      const id = next++;
      try {
        await client.query(`INSERT INTO ${this.table} (id) VALUES ($1)`, [id]);
        this.acknowledged.push(id);
        this.acknowledgedAt.push(Date.now());
      } catch {
        this.failures += 1;
        await client.end().catch(() => undefined);
        client = undefined;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await client?.end().catch(() => undefined);
  }
}
