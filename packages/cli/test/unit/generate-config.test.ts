import { describe, expect, it } from 'vitest';
import { PgwardenError } from '@pgwarden/core';
import { buildGeneratedConfig, parseDsn, renderGeneratedConfig } from '../../src/generate-config.js';
import { parse } from 'yaml';

describe('parseDsn (libpq connection strings)', () => {
  it('reads key=value pairs, quoted values with escapes included', () => {
    expect(parseDsn("host=/run/postgresql port=5433 user=postgres password=secret dbname = app")).toEqual({ host: '/run/postgresql', port: '5433', user: 'postgres', password: 'secret', dbname: 'app' });
    expect(parseDsn("password='a\\'b c'")).toEqual({ password: "a'b c" });
  });
  it('reads URIs, bracketed IPv6 hosts and query parameters', () => {
    expect(parseDsn('postgresql://admin:s%40cret@[::1]:5433/db?sslmode=require')).toEqual({ host: '::1', port: '5433', user: 'admin', password: 's@cret', dbname: 'db', sslmode: 'require' });
  });
  it('refuses what it cannot parse, with Patroni’s words', () => {
    expect(() => parseDsn('=x')).toThrow(PgwardenError);
    expect(() => parseDsn('   ')).toThrow('Failed to parse DSN string');
  });
});

describe('the generated configuration', () => {
  const settings = new Map([
    ['data_directory', '/var/lib/postgresql/15/main'],
    ['cluster_name', 'shop'],
    ['listen_addresses', '*'],
    ['port', '5433'],
    ['max_connections', '200'],
    ['hot_standby', 'on'],
    ['archive_command', 'pgbackrest archive-push %p'],
    ['hba_file', '/etc/postgresql/15/main/pg_hba.conf'],
    ['work_mem', '8MB'],
  ]);
  const config = buildGeneratedConfig({
    hostname: 'db1',
    address: '10.0.0.1',
    instance: { serverVersion: 150010, settings },
    superuser: { username: 'postgres', sslmode: 'require' },
    connectPort: undefined,
    binDir: '/usr/lib/postgresql/15/bin',
    accessFiles: {},
    environment: { etcd3: { hosts: ['10.0.0.9:2379'] }, scope: 'from-env' },
  });
  const text = renderGeneratedConfig(config);
  const read = parse(text, { version: '1.1' }) as Record<string, any>;

  it('takes scope from cluster_name (over PATRONI_SCOPE), the data directory, listen and bin_dir from the server', () => {
    expect(read['scope']).toBe('shop');
    expect(read['postgresql']).toMatchObject({ data_dir: '/var/lib/postgresql/15/main', listen: '*:5433', connect_address: '10.0.0.1:5433', bin_dir: '/usr/lib/postgresql/15/bin' });
    expect(read['etcd3']).toEqual({ hosts: ['10.0.0.9:2379'] });
  });
  it('keeps commands and file locations local and puts every other parameter in bootstrap.dcs', () => {
    expect(read['postgresql']['parameters']).toEqual({ archive_command: 'pgbackrest archive-push %p', hba_file: '/etc/postgresql/15/main/pg_hba.conf' });
    expect(read['bootstrap']['dcs']['postgresql']['parameters']).toMatchObject({ max_connections: '200', work_mem: '8MB', hot_standby: 'on', max_wal_senders: 10 });
    expect(Object.keys(read['bootstrap']['dcs']).slice(0, 3)).toEqual(['loop_wait', 'retry_timeout', 'ttl']);
  });
  it('writes #FIXME where nobody can know the value, and the superuser as connected', () => {
    expect(read['postgresql']['authentication']).toEqual({ superuser: { username: 'postgres', sslmode: 'require' }, replication: { username: '#FIXME', password: '#FIXME' } });
  });
  it('quotes on/off so that Patroni’s YAML 1.1 reader does not see booleans', () => {
    expect(text).toContain('hot_standby: "on"');
  });
});
