/**
 * The Patroni-style configuration of one member of a test cluster. Written
 * as JSON, which every YAML parser reads, so no YAML dependency is needed.
 * Small shared_buffers and max_connections keep three instances light on a
 * 2-core machine; fsync is off because tests kill processes, not machines.
 */
export interface MemberConfigPlan {
  readonly scope: string;
  readonly namespace: string;
  readonly name: string;
  readonly apiPort: number;
  readonly pgPort: number;
  readonly memberDir: string;
  readonly dataDir: string;
  readonly etcdHosts: readonly string[];
  readonly ttl: number;
  readonly loopWait: number;
  readonly retryTimeout: number;
  /** Extra bootstrap.dcs keys (synchronous_mode, failsafe_mode...), merged over the defaults. */
  readonly dcs: Readonly<Record<string, unknown>>;
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  readonly binDir: string;
}

export const clusterPasswords = {
  superuser: { username: 'postgres', password: 'pgwarden-superuser-secret' },
  replication: { username: 'replicator', password: 'pgwarden-replication-secret' },
  rewind: { username: 'rewind_user', password: 'pgwarden-rewind-secret' },
} as const;

export function memberConfig(plan: MemberConfigPlan): Record<string, unknown> {
  const address = (port: number): string => `127.0.0.1:${port}`;
  const { postgresql: dcsPostgresql, ...dcsRest } = plan.dcs as { postgresql?: Record<string, unknown> };
  return {
    scope: plan.scope,
    namespace: plan.namespace,
    name: plan.name,
    log: { type: 'json', level: 'INFO' },
    restapi: { listen: address(plan.apiPort), connect_address: address(plan.apiPort) },
    etcd3: { hosts: [...plan.etcdHosts] },
    bootstrap: {
      dcs: {
        ttl: plan.ttl,
        loop_wait: plan.loopWait,
        retry_timeout: plan.retryTimeout,
        maximum_lag_on_failover: 1048576,
        ...dcsRest,
        postgresql: {
          use_pg_rewind: true,
          use_slots: true,
          ...dcsPostgresql,
          parameters: {
            max_connections: 50,
            shared_buffers: '16MB',
            wal_keep_size: '64MB',
            fsync: 'off',
            max_wal_senders: 10,
            max_replication_slots: 10,
            ...plan.parameters,
            ...((dcsPostgresql?.['parameters'] as Record<string, unknown> | undefined) ?? {}),
          },
        },
      },
      initdb: [{ encoding: 'UTF8' }, 'data-checksums'],
    },
    postgresql: {
      listen: address(plan.pgPort),
      connect_address: address(plan.pgPort),
      data_dir: plan.dataDir,
      bin_dir: plan.binDir,
      pgpass: `${plan.memberDir}/pgpass`,
      authentication: clusterPasswords,
      parameters: { unix_socket_directories: plan.memberDir },
      pg_hba: [
        'local all all trust',
        'host replication replicator 127.0.0.1/32 md5',
        'host all all 127.0.0.1/32 md5',
      ],
    },
    watchdog: { mode: 'off' },
    tags: {},
  };
}
