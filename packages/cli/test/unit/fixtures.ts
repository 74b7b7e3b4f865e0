import type { Cluster, Member, MemberData } from '@pgwarden/core';

export function member(name: string, data: MemberData): Member {
  return { name, version: 1, data };
}

/** A healthy three-member cluster as the DCS holds it. */
export function threeMembers(overrides: Partial<Cluster> = {}): Cluster {
  return {
    initialize: '7380236651356719834',
    config: { version: 5, modifyVersion: 5, data: { ttl: 30, loop_wait: 10, postgresql: { parameters: { max_connections: 100 } } } },
    leader: { name: 'node1', version: 3 },
    lastLsn: 50_331_864,
    members: [
      member('node2', {
        conn_url: 'postgres://10.0.0.12:5432/postgres',
        api_url: 'http://10.0.0.12:8008/patroni',
        state: 'running',
        role: 'replica',
        replication_state: 'streaming',
        xlog_location: 50_331_864,
        timeline: 3,
      }),
      member('node1', {
        conn_url: 'postgres://10.0.0.11:5432/postgres',
        api_url: 'http://10.0.0.11:8008/patroni',
        state: 'running',
        role: 'primary',
        xlog_location: 50_331_864,
        timeline: 3,
      }),
      member('node3', {
        conn_url: 'postgres://10.0.0.13:5432/postgres',
        api_url: 'http://10.0.0.13:8008/patroni',
        state: 'running',
        role: 'replica',
        replication_state: 'streaming',
        xlog_location: 50_331_864 - 3 * 1_048_576,
        timeline: 3,
      }),
    ],
    ...overrides,
  };
}
