/**
 * Patroni's key layout (spec/dcs.md §1) as Redis key names: every key of a
 * cluster is `/<namespace>/<scope>/<relative>`, as in etcd, so
 * `redis-cli HGET /service/demo/leader value` shows what etcd would hold.
 *
 * Two bookkeeping keys sit beside the prefix (a `:` suffix of the base, which
 * no Patroni key uses): the set of relative keys of the cluster (so a read is
 * one script, not a SCAN of the whole database) and the cluster's version
 * counter (every write takes the next number: the CAS version).
 * The pub/sub channel announcing changes is the prefix itself.
 */
export interface ClusterKeys {
  /** `/service/demo/` */
  readonly prefix: string;
  /** Set of relative key names present (expired ones are pruned by the read script). */
  readonly index: string;
  /** Counter: the last version given to a write. */
  readonly revision: string;
  /** Pub/sub channel of change notices. */
  readonly channel: string;
  readonly leader: string;
  key(relative: string): string;
}

export const RELATIVE = {
  leader: 'leader',
  config: 'config',
  initialize: 'initialize',
  history: 'history',
  status: 'status',
  optimeLeader: 'optime/leader',
  failover: 'failover',
  sync: 'sync',
  failsafe: 'failsafe',
  member: (name: string): string => `members/${name}`,
} as const;

export function clusterKeys(namespace: string, scope: string): ClusterKeys {
  const base = `/${namespace}/${scope}`.replace(/\/+/g, '/').replace(/\/$/, '');
  const prefix = `${base}/`;
  return {
    prefix,
    index: `${base}:index`,
    revision: `${base}:revision`,
    channel: prefix,
    leader: `${prefix}leader`,
    key: (relative) => `${prefix}${relative}`,
  };
}
