/**
 * Early wake-ups between cycles (spec/dcs.md §3.5's rules): a separate
 * subscribed connection receives the change notices every script publishes
 * and, when the server has keyspace notifications on (`notify-keyspace-events`
 * with `K` and `x`), the leader key's expiry. Pub/sub is at-most-once, so a
 * notice can be missed; two safety nets cover that:
 *
 * - after the subscriber reconnects, the next wait returns at once (the cycle
 *   then reads the cluster afresh);
 * - while a wait is pending, the leader key is probed right after the moment
 *   the last read said it would expire (its PTTL), which catches an expiry
 *   without keyspace notifications.
 *
 * Whatever is missed anyway is seen by the next cycle's read: the watch only
 * makes the agent react sooner, never decides anything.
 */
import type { Redis } from 'ioredis';
import type { RedisConnection } from './connection.js';
import type { ClusterKeys } from './keys.js';
import type { Logger } from './logger.js';
import { WakeSignal } from '@pgwarden/core';
import { timeoutTimer } from './timers.js';

interface Notice {
  readonly k: string;
  readonly v: string | false;
  readonly e: boolean;
}

function parseNotice(message: string): Notice | undefined {
  try {
    const parsed = JSON.parse(message) as Partial<Notice>;
    return typeof parsed.k === 'string' ? { k: parsed.k, v: typeof parsed.v === 'string' ? parsed.v : false, e: parsed.e === true } : undefined;
  } catch {
    return undefined;
  }
}

export class ChangeWatcher {
  readonly signal = new WakeSignal(timeoutTimer);
  private subscriber: Redis | undefined;
  private connectedOnce = false;
  /** Leader value of the last read or notice (undefined = no leader). */
  private leader: string | undefined;
  /** performance.now() at which the leader key should expire, per the last read. */
  private leaderExpiresAt: number | undefined;

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: ClusterKeys,
    private readonly name: string,
    private readonly db: number,
    private readonly logger: Logger,
    private readonly probeTimeoutMs: () => number,
  ) {}

  start(): void {
    const subscriber = this.connection.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, autoResendUnfulfilledCommands: true });
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined);
    subscriber.on('ready', () => {
      // A reconnect may have dropped notices: let the next cycle read afresh.
      if (this.connectedOnce) this.signal.wake();
      this.connectedOnce = true;
    });
    subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    subscriber.subscribe(this.keys.channel, this.keyspaceChannel()).catch((error: unknown) => {
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'redis subscribe failed; relying on reads');
    });
  }

  private keyspaceChannel(): string {
    return `__keyspace@${this.db}__:${this.keys.leader}`;
  }

  private onMessage(channel: string, message: string): void {
    if (channel === this.keyspaceChannel()) {
      if (message === 'expired' || message === 'evicted') this.onLeader(undefined);
      return;
    }
    const notice = parseNotice(message);
    if (notice === undefined) return;
    if (notice.k === 'leader') this.onLeader(notice.v === false ? undefined : notice.v);
    else if (notice.k === 'config' && notice.e) this.signal.wake();
    else if ((notice.k === 'status' || notice.k === 'optime/leader') && this.leader !== this.name) this.signal.wake();
  }

  /** Only we write our own name into the leader key: that is not news. */
  private onLeader(value: string | undefined): void {
    this.leader = value;
    if (value !== this.name) this.signal.wake();
  }

  /** What the cycle's read saw: the leader and its remaining time to live (ms, negative = none). */
  observe(leader: string | undefined, leaderPttlMs: number): void {
    this.leader = leader;
    this.leaderExpiresAt = leader !== undefined && leaderPttlMs > 0 ? performance.now() + leaderPttlMs : undefined;
  }

  noteOwnLeader(value: string | undefined): void {
    this.leader = value;
  }

  async wait(timeoutMs: number, abort?: AbortSignal): Promise<boolean> {
    const expiresAt = this.leaderExpiresAt;
    const stop = new AbortController();
    if (this.subscriber !== undefined && expiresAt !== undefined && this.leader !== this.name && expiresAt < performance.now() + timeoutMs) {
      void this.probeAt(expiresAt + 20, stop.signal);
    }
    try {
      return await this.signal.wait(timeoutMs, abort);
    } finally {
      stop.abort();
    }
  }

  /** At the expected expiry, read the leader key; wake if it is gone or changed, else probe again at its new expiry. */
  private async probeAt(at: number, stop: AbortSignal): Promise<void> {
    let when = at;
    while (!stop.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, when - performance.now()));
        stop.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      if (stop.aborted) return;
      try {
        const deadline = performance.now() + this.probeTimeoutMs();
        const [value, pttl] = await this.connection.run('probe', deadline, async (client) => {
          const results = (await client.pipeline().hget(this.keys.leader, 'value').pttl(this.keys.leader).exec()) ?? [];
          return [results[0]?.[1], results[1]?.[1]] as [string | null | undefined, number | undefined];
        });
        if ((value ?? undefined) !== this.leader) {
          this.onLeader(value ?? undefined);
          return;
        }
        if (typeof pttl !== 'number' || pttl <= 0) return;
        when = performance.now() + pttl + 20;
      } catch {
        return;
      }
    }
  }

  async close(): Promise<void> {
    this.signal.close();
    this.subscriber?.disconnect();
  }
}
