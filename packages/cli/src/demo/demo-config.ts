/**
 * The files of the local demo cluster: one Patroni-format YAML per member
 * (loopback only, short timings so that a switchover takes seconds) and the
 * pgwardenctl config, all derived from the plan of this run.
 * Pure: same plan in, same text out.
 */
import { stringify } from 'yaml';

export interface DemoPorts {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly postgres: readonly [number, number, number];
  readonly restApi: readonly [number, number, number];
  readonly haproxyPrimary: number;
  readonly haproxyReplicas: number;
  readonly haproxyStats: number;
}

export interface DemoPlan {
  readonly scope: string;
  readonly baseDir: string;
  readonly ports: DemoPorts;
  readonly binDir: string;
}

/** Local demo credentials, printed to the user: nothing here is secret. */
export const DEMO_CREDENTIALS = {
  superuser: { username: 'postgres', password: 'postgres' },
  replication: { username: 'replicator', password: 'replicator' },
  rewind: { username: 'rewind_user', password: 'rewind' },
} as const;

export const DEMO_API_CREDENTIALS = { username: 'pgwarden', password: 'pgwarden' } as const;

export const MEMBER_NAMES = ['node1', 'node2', 'node3'] as const;

export function memberDir(plan: DemoPlan, index: number): string {
  return `${plan.baseDir}/${MEMBER_NAMES[index]}`;
}

export function memberConfig(plan: DemoPlan, index: number): string {
  const name = MEMBER_NAMES[index]!;
  const dir = memberDir(plan, index);
  const pgPort = plan.ports.postgres[index]!;
  const apiPort = plan.ports.restApi[index]!;
  const config = {
    scope: plan.scope,
    namespace: '/service/',
    name,
    log: { level: 'INFO' },
    restapi: { listen: `127.0.0.1:${apiPort}`, connect_address: `127.0.0.1:${apiPort}`, authentication: DEMO_API_CREDENTIALS },
    etcd3: { hosts: `127.0.0.1:${plan.ports.etcdClient}` },
    bootstrap: {
      dcs: {
        // Short timings so that the demo reacts in seconds (loop_wait + 2*retry_timeout <= ttl).
        ttl: 20,
        loop_wait: 2,
        retry_timeout: 5,
        maximum_lag_on_failover: 1048576,
        postgresql: {
          use_pg_rewind: true,
          use_slots: true,
          parameters: { wal_level: 'replica', hot_standby: 'on', max_wal_senders: 10, max_replication_slots: 10, wal_log_hints: 'on', wal_keep_size: '128MB' },
        },
      },
      initdb: [{ encoding: 'UTF8' }, 'data-checksums'],
      pg_hba: ['host replication replicator 127.0.0.1/32 md5', 'host all all 127.0.0.1/32 md5'],
    },
    postgresql: {
      listen: `127.0.0.1:${pgPort}`,
      connect_address: `127.0.0.1:${pgPort}`,
      data_dir: `${dir}/data`,
      bin_dir: plan.binDir,
      pgpass: `${dir}/pgpass`,
      authentication: DEMO_CREDENTIALS,
      parameters: { unix_socket_directories: dir, shared_buffers: '32MB' },
    },
  };
  return stringify(config);
}

/** What pgwardenctl needs: `export PATRONICTL_CONFIG_FILE=<this file>`. */
export function ctlConfig(plan: DemoPlan): string {
  return stringify({
    scope: plan.scope,
    namespace: '/service/',
    etcd3: { hosts: `127.0.0.1:${plan.ports.etcdClient}` },
    ctl: { authentication: DEMO_API_CREDENTIALS },
  });
}
