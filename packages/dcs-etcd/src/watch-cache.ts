/**
 * An in-memory copy of the cluster prefix, kept fresh by one watch stream
 * (spec/dcs.md §3.5), so that the cycle's getCluster() costs no request and
 * the agent wakes the moment the leader key changes or disappears.
 *
 * 1. Range-read the prefix, store each key with its mod_revision.
 * 2. Watch the prefix from the range's revision + 1; apply an event only if
 *    its revision is newer than what we hold for that key (our own writes are
 *    applied at once with the revision etcd answered, so their events are
 *    not news and do not wake us).
 * 3. On any stream error or end, mark the cache not ready and start again
 *    from 1 on the next endpoint (after 100 ms the first time, then 1 s).
 *    The stream is one long POST to the gateway's `/v3/watch`, answering a
 *    JSON line per watch response; etcd ends it with "no leader" when its
 *    member loses the raft leader (`hasleader`).
 *
 * Invariant: while `ready` is false nobody reads the cache; getCluster()
 * then reads etcd directly.
 */
import { describeError } from './errors.js';
import type { WatchAnswer } from './gateway-answers.js';
import { prefixRangeEnd, type ClusterKeys } from './keys.js';
import type { Logger } from './logger.js';
import type { RawKey } from './parse-cluster.js';
import { rangeRequest, watchRequest } from './requests.js';
import type { EtcdTransport } from './transport.js';

interface Entry {
  /** undefined for a key we know was deleted at `modRevision`. */
  readonly value: string | undefined;
  readonly modRevision: number;
  readonly lease: string;
}

export type ChangeListener = (key: string, before: string | undefined, after: string | undefined) => void;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class WatchCache {
  private entries = new Map<string, Entry>();
  private changes = 0;
  private isReady = false;
  private hasLoaded = false;
  private stopped = false;
  private cancelStream: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readyWaiters: Array<() => void> = [];

  constructor(
    private readonly transport: EtcdTransport,
    private readonly keys: ClusterKeys,
    private readonly logger: Logger,
    private readonly retryTimeoutMs: () => number,
    private readonly onChange: ChangeListener,
  ) {}

  get ready(): boolean {
    return this.isReady;
  }

  /** False until the first range read completed: only then is waiting for readiness worthwhile. */
  get loadedOnce(): boolean {
    return this.hasLoaded;
  }

  start(): void {
    if (this.loop === undefined) this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelStream?.();
    for (const resolve of this.readyWaiters.splice(0)) resolve();
    await this.loop;
  }

  /** Resolves true once ready, false after `timeoutMs`. */
  async waitReady(timeoutMs: number): Promise<boolean> {
    if (this.isReady) return true;
    if (timeoutMs <= 0 || this.stopped) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.isReady;
  }

  /** Restart the watch (a failed conditional write suggests the cache is stale). */
  restart(): void {
    this.cancelStream?.();
  }

  /** Grows with every change of the cached keys: an unchanged count means an unchanged snapshot(). */
  get generation(): number {
    return this.changes;
  }

  /** Live keys, as a range read would return them. */
  snapshot(): RawKey[] {
    const keys: RawKey[] = [];
    for (const [key, entry] of this.entries) {
      if (entry.value !== undefined) keys.push({ key, value: entry.value, modRevision: entry.modRevision, lease: entry.lease });
    }
    return keys;
  }

  get(key: string): RawKey | undefined {
    const entry = this.entries.get(key);
    return entry?.value === undefined ? undefined : { key, value: entry.value, modRevision: entry.modRevision, lease: entry.lease };
  }

  /**
   * Apply our own successful write (value undefined = delete) with the
   * revision etcd answered. It is not news to us: no change is reported, and
   * the watch event of the same revision that follows is ignored.
   */
  applyWrite(key: string, value: string | undefined, revision: number, lease = '0'): void {
    this.apply(key, value, revision, lease, false);
  }

  private apply(key: string, value: string | undefined, revision: number, lease: string, notify = true): void {
    const before = this.entries.get(key);
    if (before !== undefined && before.modRevision >= revision) return;
    this.entries.set(key, { value, modRevision: revision, lease });
    this.changes += 1;
    if (notify && before?.value !== value) this.onChange(key, before?.value, value);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        const revision = await this.load();
        failures = 0;
        if (this.stopped) break;
        await this.follow(revision + 1);
      } catch (error) {
        failures++;
        this.logger.debug({ error: describeError(error), endpoint: this.transport.currentEndpoint }, 'etcd watch restarts');
      }
      this.isReady = false;
      if (!this.stopped) await sleep(failures <= 1 ? 100 : 1000);
    }
  }

  /** Range-read the prefix and replace the cache; changes against the old copy are reported. */
  private async load(): Promise<number> {
    const deadline = performance.now() + this.retryTimeoutMs();
    const response = await this.transport.run('range', deadline, (client, attempt) =>
      client.range(rangeRequest(this.keys.prefix, prefixRangeEnd(this.keys.prefix)), attempt),
    );
    const revision = response.header.revision;
    const fresh = new Map<string, Entry>();
    for (const kv of response.kvs) fresh.set(kv.key, { value: kv.value, modRevision: kv.modRevision, lease: kv.lease });
    const old = this.entries;
    // Our own writes applied while the range was in flight are newer than it: keep them
    // (the watch from revision + 1 replays them and finds nothing new).
    for (const [key, entry] of old) if (entry.modRevision > revision) fresh.set(key, entry);
    this.entries = fresh;
    this.changes += 1;
    for (const [key, entry] of fresh) if (old.get(key)?.value !== entry.value) this.onChange(key, old.get(key)?.value, entry.value);
    for (const [key, entry] of old) {
      if (entry.value !== undefined && !fresh.has(key)) this.onChange(key, entry.value, undefined);
    }
    this.isReady = true;
    this.hasLoaded = true;
    for (const resolve of this.readyWaiters.splice(0)) resolve();
    return revision;
  }

  /**
   * Follow the watch stream until it fails or ends. etcd must confirm the
   * watch (`created`) within retry_timeout, or the endpoint is taken as dead.
   */
  private async follow(startRevision: number): Promise<void> {
    const { client, index } = await this.transport.streamClient('watch', performance.now() + this.retryTimeoutMs());
    // A silent endpoint (frozen, partitioned) keeps a stream open without events; when a
    // request to the same endpoint fails, do not wait for TCP keepalive to notice.
    const unsubscribe = this.transport.onEndpointFailure((failed) => {
      if (failed === index) this.cancelStream?.();
    });
    let createdTimer: ReturnType<typeof setTimeout> | undefined;
    try {
      if (this.stopped) return;
      await new Promise<void>((resolve, reject) => {
        const stream = client.watch(watchRequest(this.keys.prefix, prefixRangeEnd(this.keys.prefix), startRevision), {
          onAnswer: (answer) => {
            const failure = this.applyAnswer(answer);
            if (failure !== undefined) {
              stream.cancel();
              reject(failure);
            } else if (answer.created) clearTimeout(createdTimer);
          },
          onFailure: reject,
        });
        this.cancelStream = () => {
          stream.cancel();
          resolve();
        };
        const timeoutMs = this.retryTimeoutMs();
        createdTimer = setTimeout(() => {
          stream.cancel();
          reject(new Error(`watch not confirmed within ${Math.round(timeoutMs)} ms`));
        }, timeoutMs);
      });
    } catch (error) {
      this.transport.reportFailure(index);
      throw error;
    } finally {
      clearTimeout(createdTimer);
      unsubscribe();
      this.cancelStream = undefined;
    }
  }

  /** Apply one watch answer; an Error when etcd cancelled the watch (compaction, refused auth). */
  private applyAnswer(answer: WatchAnswer): Error | undefined {
    if (answer.canceled || answer.compact_revision > 0) {
      return new Error(`watch canceled: ${answer.cancel_reason || `compacted at ${answer.compact_revision}`}`);
    }
    for (const event of answer.events) {
      const kv = event.kv;
      this.apply(kv.key, event.type === 'DELETE' ? undefined : kv.value, kv.modRevision, kv.lease);
    }
    return undefined;
  }
}
