// Which `postgresql.<method>` sections reach PostgresCtl: those of postgresql.create_replica_methods
// and those of standby_cluster.create_replica_methods (a standby cluster clones with the latter).
import { buildEffectiveConfig, loadConfig, parseDynamicConfig, type PatroniConfig } from '@pgwarden/core';
import { postgresCtlOptionsSchema } from '@pgwarden/postgres-ctl';
import { describe, expect, it } from 'vitest';
import { toPostgresCtlOptions } from '../../src/adapters/agent-configuration-map.js';

function local(): PatroniConfig {
  const text = [
    'scope: demo',
    'name: node1',
    'restapi: {listen: "127.0.0.1:8008", connect_address: "127.0.0.1:8008"}',
    'etcd3: {hosts: "127.0.0.1:2379"}',
    'postgresql:',
    '  listen: 127.0.0.1:5432',
    '  connect_address: 127.0.0.1:5432',
    '  data_dir: /tmp/pgwarden-replica-method-sections-test',
    '  authentication: {superuser: {username: postgres, password: x}, replication: {username: r, password: y}}',
    '  create_replica_methods: [wal_g, basebackup]',
    '  wal_g: {command: "wal-g backup-fetch", no_leader: true}',
    '  pgbackrest: {command: "/usr/bin/pgbackrest --stanza=main restore", keep_data: true}',
    '  unrelated: {command: "never named"}',
  ].join('\n');
  const result = loadConfig([{ file: 'test.yml', text }], { env: {} });
  if (!result.ok) throw new Error(result.issues.map((issue) => issue.message).join('; '));
  return result.config;
}

function replicaMethods(dynamic: Record<string, unknown>): Record<string, unknown> {
  const effective = buildEffectiveConfig(local(), parseDynamicConfig(dynamic).config).config;
  const options = postgresCtlOptionsSchema.parse(toPostgresCtlOptions(effective));
  return options.replica_methods;
}

describe('replica method sections handed to PostgresCtl', () => {
  it('outside a standby cluster: the sections postgresql.create_replica_methods names', () => {
    expect(Object.keys(replicaMethods({}))).toEqual(['wal_g']);
  });

  it('in a standby cluster: also the sections standby_cluster.create_replica_methods names', () => {
    const sections = replicaMethods({ standby_cluster: { host: '10.0.0.9', port: 5432, create_replica_methods: ['pgbackrest', 'basebackup'] } });
    expect(Object.keys(sections).sort()).toEqual(['pgbackrest', 'wal_g']);
    expect(sections['pgbackrest']).toEqual({ command: '/usr/bin/pgbackrest --stanza=main restore', keep_data: true });
  });
});
