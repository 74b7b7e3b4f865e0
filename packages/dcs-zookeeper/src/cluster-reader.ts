/**
 * Reading the cluster the way Patroni's ZooKeeper backend does — the children
 * of `/<namespace>/<scope>`, then every known key and every member znode —
 * and keeping ZooKeeper's one-shot watches armed so the agent wakes up:
 *
 * - a child watch on the cluster znode (an existence watch while it does not
 *   exist) notices the leader znode (or `status`) appearing or disappearing;
 * - data watches on `leader`, `config` and `status` notice their changes.
 *
 * Wake rules (spec/dcs.md §3.5, the same as etcd's): the leader changed to
 * someone other than us or disappeared; `config` changed (not its first
 * appearance); `status` changed while we are not the leader. Member traffic
 * never wakes anyone: members live one level deeper.
 *
 * Invariant: every znode read records its stat, so a later CAS given the
 * pgwarden version (mzxid) can be mapped to ZooKeeper's data version.
 */
import { parseClusterFromKeys, type Cluster, type Logger, type RawClusterKey } from '@pgwarden/core';
import type { ClusterKeys } from '@pgwarden/core';
import type { ZkEvent } from './zk-connection.js';
import type { Znode, ZnodeStat, Znodes } from './znodes.js';

const KEYS = ['initialize', 'config', 'history', 'sync', 'leader', 'status', 'failover', 'failsafe'] as const;
const NODE_CREATED = 1;
const NODE_DELETED = 2;
const NODE_DATA_CHANGED = 3;

export interface ClusterReaderOptions {
  readonly keys: ClusterKeys;
  readonly name: string;
  readonly znodes: Znodes;
  readonly logger: Logger;
  readonly deadline: () => number;
  readonly wake: () => void;
}

export class ClusterReader {
  private children = new Set<string>();
  private leaderValue: string | undefined;
  private readonly stats = new Map<string, ZnodeStat>();

  constructor(private readonly options: ClusterReaderOptions) {}

  /** Last stat seen for `path` (read or written). */
  stat(path: string): ZnodeStat | undefined {
    return this.stats.get(path);
  }

  remember(path: string, stat: ZnodeStat | undefined): void {
    if (stat === undefined) this.stats.delete(path);
    else this.stats.set(path, stat);
  }

  /** The leader value we know of (our own writes included): decides the status wake rule. */
  noteLeader(value: string | undefined): void {
    this.leaderValue = value;
  }

  private readonly onBaseEvent = (): void => {
    void this.refreshChildren().catch((error: unknown) => this.options.logger.debug({ error: String(error) }, 'zookeeper: child watch refresh failed'));
  };

  private readonly onDataEvent = (event: ZkEvent): void => {
    const { keys, name } = this.options;
    const type = event.getType();
    if (event.getPath() === keys.leader) {
      if (type === NODE_DELETED) this.wakeFor(undefined);
      else if (type === NODE_DATA_CHANGED || type === NODE_CREATED) void this.readLeaderAndWake();
    } else if (event.getPath() === keys.config && type !== NODE_CREATED) {
      this.options.wake();
    } else if (event.getPath() === keys.status && this.leaderValue !== name) {
      this.options.wake();
    }
  };

  private wakeFor(leader: string | undefined): void {
    const changed = leader !== this.leaderValue;
    this.leaderValue = leader;
    if (changed && leader !== this.options.name) this.options.wake();
  }

  private async readLeaderAndWake(): Promise<void> {
    const answer = await this.options.znodes.getData(this.options.keys.leader, this.options.deadline(), this.onDataEvent);
    this.wakeFor(answer.ok ? answer.value.value : undefined);
  }

  /** Re-arm the child watch; wake when the leader or status znode appeared or disappeared. */
  private async refreshChildren(): Promise<void> {
    const before = this.children;
    const after = await this.readChildren(this.options.deadline());
    const { name } = this.options;
    if (!before.has('leader') && after.has('leader')) await this.readLeaderAndWake();
    else if (before.has('leader') && !after.has('leader')) this.wakeFor(undefined);
    if (!before.has('status') && after.has('status') && this.leaderValue !== name) this.options.wake();
  }

  private async readChildren(deadline: number): Promise<Set<string>> {
    const { znodes, keys } = this.options;
    const answer = await znodes.getChildren(keys.base, deadline, this.onBaseEvent);
    if (answer.ok) {
      this.children = new Set(answer.value);
      return this.children;
    }
    // No cluster znode yet: watch for its creation instead.
    const exists = await znodes.exists(keys.base, deadline, this.onBaseEvent);
    this.children = new Set();
    if (exists.ok && exists.value !== undefined) return this.readChildren(deadline);
    return this.children;
  }

  private async readKey(path: string, deadline: number, watch: boolean): Promise<Znode | undefined> {
    const answer = await this.options.znodes.getData(path, deadline, watch ? this.onDataEvent : undefined);
    this.remember(path, answer.ok ? answer.value.stat : undefined);
    return answer.ok ? answer.value : undefined;
  }

  /** One full read; throws ZkUnavailableError when the servers do not answer in time. */
  async read(): Promise<Cluster> {
    const deadline = this.options.deadline();
    const { keys } = this.options;
    const children = await this.readChildren(deadline);
    const watched = new Set<string>(['leader', 'config', 'status']);
    const reads: Array<Promise<RawClusterKey | undefined>> = KEYS.filter((key) => children.has(key)).map(async (key) => {
      const node = await this.readKey(`${keys.prefix}${key}`, deadline, watched.has(key));
      return node && { key, value: node.value, version: node.stat.mzxid, ...(node.stat.owner ? { session: node.stat.owner } : {}) };
    });
    if (children.has('optime') && !children.has('status')) {
      reads.push(this.readKey(keys.optimeLeader, deadline, false).then((node) => node && { key: 'optime/leader', value: node.value, version: node.stat.mzxid }));
    }
    const members = children.has('members') ? this.readMembers(deadline) : Promise.resolve([]);
    const [raws, memberRaws] = await Promise.all([Promise.all(reads), members]);
    const all = [...raws, ...memberRaws].filter((raw): raw is RawClusterKey => raw !== undefined && raw !== false);
    this.leaderValue = all.find((raw) => raw.key === 'leader')?.value;
    return parseClusterFromKeys(all);
  }

  private async readMembers(deadline: number): Promise<Array<RawClusterKey | undefined | false>> {
    const { znodes, keys } = this.options;
    const names = await znodes.getChildren(keys.membersPrefix.replace(/\/$/, ''), deadline);
    if (!names.ok) return [];
    return Promise.all(
      names.value.map(async (name) => {
        const node = await this.readKey(keys.member(name), deadline, false);
        // A znode with children is a path on the way to deeper keys (`members/a/b`), not a member.
        return node && node.stat.numChildren === 0 && { key: `members/${name}`, value: node.value, version: node.stat.mzxid, ...(node.stat.owner ? { session: node.stat.owner } : {}) };
      }),
    );
  }

  /** After a new session the server forgot our watches: forget what they told us. */
  reset(): void {
    this.children = new Set();
    this.stats.clear();
  }
}
