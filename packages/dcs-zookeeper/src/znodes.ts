/**
 * The znode operations the adapter uses, as promises of typed answers over
 * one ZkConnection. A znode's `version` for pgwarden is its `mzxid` (the
 * zxid of its last modification): positive, growing with every write across
 * delete/re-create, like etcd's mod_revision; the znode's own data version
 * (`dataVersion`, what ZooKeeper's conditional setData/delete compare) is
 * kept beside it.
 */
import zookeeper, { type Client, type Stat } from 'node-zookeeper-client';
import type { ZkAnswer, ZkConnection, ZkEvent } from './zk-connection.js';

export interface ZnodeStat {
  /** mzxid as a number (zxids stay far below 2^53). */
  readonly mzxid: number;
  readonly dataVersion: number;
  /** Session id (hex) of an ephemeral znode's owner; undefined for a persistent znode. */
  readonly owner: string | undefined;
  readonly numChildren: number;
}

export interface Znode {
  readonly value: string;
  readonly stat: ZnodeStat;
}

export type Watcher = (event: ZkEvent) => void;

const NO_OWNER = '0000000000000000';

export function toStat(stat: Stat): ZnodeStat {
  const owner = stat.ephemeralOwner.toString('hex');
  return { mzxid: Number(stat.mzxid.readBigInt64BE(0)), dataVersion: stat.version, owner: owner === NO_OWNER ? undefined : owner, numChildren: stat.numChildren };
}

export class Znodes {
  constructor(private readonly connection: ZkConnection) {}

  getData(path: string, deadline: number, watcher?: Watcher): Promise<ZkAnswer<Znode>> {
    return this.connection.run<Znode>('getData', deadline, (client, done) => {
      const callback = (error: unknown, data?: Buffer, stat?: Stat): void =>
        error ? done(error) : done(null, { value: data ? data.toString('utf8') : '', stat: toStat(stat!) });
      if (watcher) client.getData(path, watcher, callback);
      else client.getData(path, callback);
    });
  }

  exists(path: string, deadline: number, watcher?: Watcher): Promise<ZkAnswer<ZnodeStat | undefined>> {
    return this.connection.run<ZnodeStat | undefined>('exists', deadline, (client, done) => {
      const callback = (error: unknown, stat?: Stat): void => (error ? done(error) : done(null, stat ? toStat(stat) : undefined));
      if (watcher) client.exists(path, watcher, callback);
      else client.exists(path, callback);
    });
  }

  getChildren(path: string, deadline: number, watcher?: Watcher): Promise<ZkAnswer<string[]>> {
    return this.connection.run<string[]>('getChildren', deadline, (client, done) => {
      const callback = (error: unknown, children?: string[]): void => (error ? done(error) : done(null, children ?? []));
      if (watcher) client.getChildren(path, watcher, callback);
      else client.getChildren(path, callback);
    });
  }

  /** Create `path`; with `makeParents`, a missing parent is created first (Patroni's makepath=True). */
  async create(path: string, value: string, deadline: number, options: { ephemeral?: boolean } = {}): Promise<ZkAnswer<void>> {
    const mode = options.ephemeral ? zookeeper.CreateMode.EPHEMERAL : zookeeper.CreateMode.PERSISTENT;
    const once = (): Promise<ZkAnswer<void>> =>
      this.connection.run<void>('create', deadline, (client, done) => client.create(path, Buffer.from(value, 'utf8'), mode, (error) => done(error)));
    const first = await once();
    if (first.ok || first.refusal !== 'no-node') return first;
    const parent = path.slice(0, path.lastIndexOf('/'));
    await this.connection.run<void>('create', deadline, (client: Client, done) => client.mkdirp(parent, (error) => done(error)));
    return once();
  }

  /** Set data; `dataVersion` -1 = unconditional. Answers the new stat. */
  setData(path: string, value: string, deadline: number, dataVersion = -1): Promise<ZkAnswer<ZnodeStat>> {
    return this.connection.run<ZnodeStat>('setData', deadline, (client, done) =>
      client.setData(path, Buffer.from(value, 'utf8'), dataVersion, (error, stat) => (error ? done(error) : done(null, toStat(stat)))),
    );
  }

  remove(path: string, deadline: number, dataVersion = -1): Promise<ZkAnswer<void>> {
    return this.connection.run<void>('delete', deadline, (client, done) => client.remove(path, dataVersion, (error) => done(error)));
  }

  /** Delete `path` and everything below it, deepest first (the library's own removeRecursive misses grandchildren). */
  async removeRecursive(path: string, deadline: number): Promise<ZkAnswer<void>> {
    const tree = [path];
    for (let index = 0; index < tree.length; index++) {
      const parent = tree[index]!;
      const children = await this.getChildren(parent, deadline);
      if (!children.ok && index === 0) return children.refusal === 'no-node' ? { ok: true, value: undefined } : children;
      if (children.ok) tree.push(...children.value.map((child) => `${parent}/${child}`));
    }
    for (const node of tree.reverse()) {
      const removed = await this.remove(node, deadline);
      if (!removed.ok && removed.refusal !== 'no-node') return removed;
    }
    return { ok: true, value: undefined };
  }
}
