/**
 * Patroni's key layout (spec/dcs.md §1): everything of a cluster lives under
 * `/<namespace>/<scope>/`, duplicate slashes collapsed, so that Patroni and
 * pgwarden members read and write the same keys.
 */
export interface ClusterKeys {
  /** `/service/demo/` */
  readonly prefix: string;
  /** `/service/demo`: the znode whose children are the cluster's keys. */
  readonly base: string;
  readonly leader: string;
  readonly config: string;
  readonly initialize: string;
  readonly history: string;
  readonly status: string;
  readonly optimeLeader: string;
  readonly failover: string;
  readonly sync: string;
  readonly failsafe: string;
  readonly membersPrefix: string;
  member(name: string): string;
}

export function clusterKeys(namespace: string, scope: string): ClusterKeys {
  const base = `/${namespace}/${scope}`.replace(/\/+/g, '/').replace(/\/$/, '');
  const prefix = `${base}/`;
  return {
    prefix,
    base,
    leader: `${prefix}leader`,
    config: `${prefix}config`,
    initialize: `${prefix}initialize`,
    history: `${prefix}history`,
    status: `${prefix}status`,
    optimeLeader: `${prefix}optime/leader`,
    failover: `${prefix}failover`,
    sync: `${prefix}sync`,
    failsafe: `${prefix}failsafe`,
    membersPrefix: `${prefix}members/`,
    member: (name) => `${prefix}members/${name}`,
  };
}
