// PATRONI_* variables map onto the same keys, with the same conversions and
// precedence, as in Patroni's Config._build_environment_configuration.
import { describe, expect, it } from 'vitest';
import { loadConfig, readEnvironmentConfig } from '../../src/config/index.js';
import { BASE_YAML } from './helpers.js';

describe('PATRONI_* environment variables', () => {
  it('identity and section variables set their keys, integers and booleans converted', () => {
    const { config } = readEnvironmentConfig({
      PATRONI_NAME: 'node9',
      PATRONI_SCOPE: 'robin',
      PATRONI_NAMESPACE: '/pg/',
      PATRONI_RESTAPI_LISTEN: '0.0.0.0:8008',
      PATRONI_RESTAPI_REQUEST_QUEUE_SIZE: '10',
      PATRONI_RESTAPI_ALLOWLIST_INCLUDE_MEMBERS: 'on',
      PATRONI_CTL_INSECURE: 'yes',
      PATRONI_POSTGRESQL_DATA_DIR: '/data/pg',
      PATRONI_POSTGRESQL_BIN_PG_CTL: 'pg_ctl15',
      PATRONI_LOG_FILE_SIZE: '1000',
    });
    expect(config).toEqual({
      name: 'node9',
      scope: 'robin',
      namespace: '/pg/',
      restapi: { listen: '0.0.0.0:8008', request_queue_size: 10, allowlist_include_members: true },
      ctl: { insecure: true },
      postgresql: { data_dir: '/data/pg', bin_name: { pg_ctl: 'pg_ctl15' } },
      log: { file_size: 1000 },
    });
  });

  it('credentials: restapi/ctl basic auth and the superuser/replication/rewind roles with ssl options', () => {
    const { config } = readEnvironmentConfig({
      PATRONI_RESTAPI_USERNAME: 'api',
      PATRONI_RESTAPI_PASSWORD: 'api-pass',
      PATRONI_CTL_USERNAME: 'ctl',
      PATRONI_SUPERUSER_USERNAME: 'postgres',
      PATRONI_SUPERUSER_PASSWORD: 'su-pass',
      PATRONI_REPLICATION_USERNAME: 'replicator',
      PATRONI_REPLICATION_SSLMODE: 'verify-full',
      PATRONI_REWIND_USERNAME: 'rewinder',
    });
    expect(config['restapi']).toEqual({ authentication: { username: 'api', password: 'api-pass' } });
    expect(config['ctl']).toEqual({ authentication: { username: 'ctl' } });
    expect(config['postgresql']).toEqual({
      authentication: {
        superuser: { username: 'postgres', password: 'su-pass' },
        replication: { username: 'replicator', sslmode: 'verify-full' },
        rewind: { username: 'rewinder' },
      },
    });
    // The role passwords are not mistaken for bootstrap users.
    expect(config['bootstrap']).toBeUndefined();
  });

  it('PATRONI_ZOOKEEPER_HOSTS gives the zookeeper section its hosts list', () => {
    const { config } = readEnvironmentConfig({ PATRONI_ZOOKEEPER_HOSTS: "'10.0.0.1:2181','10.0.0.2:2181'" });
    expect(config['zookeeper']).toEqual({ hosts: ['10.0.0.1:2181', '10.0.0.2:2181'] });
  });

  it('DCS variables: hosts as a YAML list, port as integer, etcd3 credentials once the section exists', () => {
    const { config } = readEnvironmentConfig({
      PATRONI_ETCD3_HOSTS: "'10.0.0.1:2379','10.0.0.2:2379'",
      PATRONI_ETCD3_PROTOCOL: 'https',
      PATRONI_ETCD3_USERNAME: 'etcd-user',
      PATRONI_ETCD3_PASSWORD: 'etcd-pass',
      PATRONI_CONSUL_PORT: '8500',
      PATRONI_CONSUL_REGISTER_SERVICE: 'true',
      PATRONI_CONSUL_SERVICE_TAGS: 'a,b',
    });
    expect(config['etcd3']).toEqual({ hosts: ['10.0.0.1:2379', '10.0.0.2:2379'], protocol: 'https', username: 'etcd-user', password: 'etcd-pass' });
    expect(config['consul']).toEqual({ port: 8500, register_service: true, service_tags: ['a', 'b'] });
  });

  it('PATRONI_REDIS_* fill the redis section with typed values; the password alone is taken, other prefixes keep their meaning', () => {
    const { config } = readEnvironmentConfig({
      PATRONI_REDIS_HOST: '10.0.0.5:6379',
      PATRONI_REDIS_DB: '2',
      PATRONI_REDIS_MODE: 'replicated',
      PATRONI_REDIS_SENTINELS: '10.0.0.1:26379,10.0.0.2:26379',
      PATRONI_REDIS_SENTINEL_MASTER: 'pg',
      PATRONI_REDIS_WAIT_REPLICAS: '1',
      PATRONI_REDIS_WAIT_TIMEOUT: '0.5',
      PATRONI_REDIS_SSL: 'true',
      PATRONI_REDIS_USERNAME: 'pgwarden',
      PATRONI_REDIS_PASSWORD: 'secret',
    });
    expect(config['redis']).toEqual({
      host: '10.0.0.5:6379',
      db: 2,
      mode: 'replicated',
      sentinels: ['10.0.0.1:26379', '10.0.0.2:26379'],
      sentinel_master: 'pg',
      wait_replicas: 1,
      wait_timeout: 0.5,
      ssl: true,
      username: 'pgwarden',
      password: 'secret',
    });
    expect(readEnvironmentConfig({ PATRONI_REDIS_PASSWORD: 'only' }).config['redis']).toEqual({ password: 'only' });
    expect(readEnvironmentConfig({ PATRONI_FOO_MODE: 'x' }).config['foo']).toBeUndefined();
  });

  it('PATRONI_<user>_PASSWORD and _OPTIONS create a bootstrap user', () => {
    const { config } = readEnvironmentConfig({ PATRONI_admin_PASSWORD: 'admin-pass', PATRONI_admin_OPTIONS: 'createrole,createdb' });
    expect(config['bootstrap']).toEqual({ users: { admin: { password: 'admin-pass', options: ['createrole', 'createdb'] } } });
  });

  it('legacy PATRONI_LOGLEVEL fills log.level only when PATRONI_LOG_LEVEL is absent', () => {
    expect(readEnvironmentConfig({ PATRONI_LOGLEVEL: 'DEBUG' }).config['log']).toEqual({ level: 'DEBUG' });
    expect(readEnvironmentConfig({ PATRONI_LOGLEVEL: 'DEBUG', PATRONI_LOG_LEVEL: 'ERROR' }).config['log']).toEqual({ level: 'ERROR' });
  });

  it('empty variables are ignored and every consumed variable is listed for removal', () => {
    const env = { PATRONI_NAME: '', PATRONI_SCOPE: 'batman', HOME: '/root', PATRONI_RESTAPI_LISTEN: '127.0.0.1:8008' };
    const result = readEnvironmentConfig(env);
    expect(result.config).toEqual({ scope: 'batman', restapi: { listen: '127.0.0.1:8008' } });
    expect([...result.consumed].sort()).toEqual(['PATRONI_NAME', 'PATRONI_RESTAPI_LISTEN', 'PATRONI_SCOPE']);
    expect(env.PATRONI_SCOPE).toBe('batman');
  });

  it('the environment wins over the file', () => {
    const result = loadConfig([{ file: 'member.yml', text: BASE_YAML }], { env: { PATRONI_NAME: 'from-env', PATRONI_POSTGRESQL_DATA_DIR: '/srv/pg' } });
    expect(result.ok && [result.config.name, result.config.postgresql.data_dir]).toEqual(['from-env', '/srv/pg']);
  });

  it('without a file, PATRONI_CONFIGURATION holds the whole document and other variables are not read', () => {
    const result = loadConfig([], { env: { PATRONI_CONFIGURATION: BASE_YAML, PATRONI_NAME: 'ignored' } });
    expect(result.ok && result.config.name).toBe('postgresql0');
    expect(result.consumedEnv).toEqual(['PATRONI_CONFIGURATION']);
  });

  it('without a file, the configuration can be built from variables alone', () => {
    const result = loadConfig([], {
      env: {
        PATRONI_NAME: 'pg1',
        PATRONI_SCOPE: 'demo',
        PATRONI_RESTAPI_LISTEN: '127.0.0.1:8008',
        PATRONI_RESTAPI_CONNECT_ADDRESS: '127.0.0.1:8008',
        PATRONI_ETCD3_HOST: '127.0.0.1:2379',
        PATRONI_POSTGRESQL_LISTEN: '127.0.0.1:5432',
        PATRONI_POSTGRESQL_CONNECT_ADDRESS: '127.0.0.1:5432',
        PATRONI_POSTGRESQL_DATA_DIR: '/srv/pg',
        PATRONI_SUPERUSER_USERNAME: 'postgres',
        PATRONI_REPLICATION_USERNAME: 'replicator',
      },
    });
    expect(result.ok).toBe(true);
  });

  it('pgwarden.patroni3_compat is off by default, on from the file or PGWARDEN_PATRONI3_COMPAT (which wins), and a non-boolean is refused by name', () => {
    const off = loadConfig([{ file: 'member.yml', text: BASE_YAML }], { env: {} });
    expect(off.ok && off.config.pgwarden.patroni3_compat).toBe(false);
    const fromFile = loadConfig([{ file: 'member.yml', text: `${BASE_YAML}\npgwarden:\n  patroni3_compat: true\n` }], { env: {} });
    expect(fromFile.ok && fromFile.config.pgwarden.patroni3_compat).toBe(true);
    const fromEnv = loadConfig([{ file: 'member.yml', text: `${BASE_YAML}\npgwarden:\n  patroni3_compat: false\n` }], { env: { PGWARDEN_PATRONI3_COMPAT: 'on' } });
    expect(fromEnv.ok && fromEnv.config.pgwarden.patroni3_compat).toBe(true);
    expect(fromEnv.consumedEnv).toContain('PGWARDEN_PATRONI3_COMPAT');
    const bad = loadConfig([{ file: 'member.yml', text: BASE_YAML }], { env: { PGWARDEN_PATRONI3_COMPAT: 'maybe' } });
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(bad)).toContain('PGWARDEN_PATRONI3_COMPAT');
  });
});
