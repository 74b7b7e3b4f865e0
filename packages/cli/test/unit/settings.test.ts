import { describe, expect, it } from 'vitest';
import { buildCtlSettings, type CtlSettings } from '../../src/ctl/settings/ctl-settings.js';
import { parseDcsUrl } from '../../src/ctl/settings/dcs-url.js';
import { parseScheduled } from '../../src/ctl/commands/schedule.js';
import { toPythonJson } from '@pgwarden/core';

describe('--dcs-url', () => {
  it('parses scheme, host, port and namespace', () => {
    expect(parseDcsUrl('etcd3://10.0.0.1:2380/pg')).toEqual({ scheme: 'etcd3', host: '10.0.0.1', port: 2380, namespace: '/pg' });
  });
  it('defaults host to localhost and the port to the scheme default', () => {
    expect(parseDcsUrl('etcd3://')).toEqual({ scheme: 'etcd3', host: 'localhost', port: 2379 });
  });
  it('guesses the scheme from the port when missing', () => {
    expect(parseDcsUrl('127.0.0.1:8500').scheme).toBe('consul');
    expect(parseDcsUrl('127.0.0.1:1234').scheme).toBe('etcd');
  });
  it('refuses an unknown scheme', () => {
    expect(() => parseDcsUrl('memcached://x')).toThrow('Unknown dcs scheme: memcached');
    expect(parseDcsUrl('redis://x')).toEqual({ scheme: 'redis', host: 'x', port: 6379 });
  });
});

describe('settings from the config file, environment and --dcs-url', () => {
  const config = {
    scope: 'demo',
    namespace: '/db',
    etcd3: { hosts: '10.0.0.1:2379,10.0.0.2' },
    restapi: { authentication: { username: 'api', password: 'secret' }, cafile: '/ca.pem' },
  };

  it('reads scope, namespace, etcd hosts and REST credentials (restapi as fallback)', () => {
    const settings = buildCtlSettings({ config, env: {} });
    expect(settings.scope).toBe('demo');
    expect(settings.namespace).toBe('/db');
    expect(etcdHosts(settings)).toEqual(['10.0.0.1:2379', '10.0.0.2:2379']);
    expect(settings.rest).toEqual({ username: 'api', password: 'secret', cacert: '/ca.pem', insecure: false });
  });

  it('prefers ctl.authentication and honours -k', () => {
    const settings = buildCtlSettings({ config: { ...config, ctl: { authentication: { username: 'ctl', password: 'p' } } }, env: {}, insecure: true });
    expect(settings.rest).toMatchObject({ username: 'ctl', password: 'p', insecure: true });
  });

  it('lets PATRONI_* variables override the file', () => {
    const settings = buildCtlSettings({ config, env: { PATRONI_SCOPE: 'other', PATRONI_ETCD3_HOSTS: '127.0.0.1:3000' } });
    expect(settings.scope).toBe('other');
    expect(etcdHosts(settings)).toEqual(['127.0.0.1:3000']);
  });

  it('lets --dcs-url replace the DCS section and the namespace', () => {
    const settings = buildCtlSettings({ config, env: {}, dcsUrl: parseDcsUrl('etcd3://127.0.0.1:4000/ns') });
    expect(etcdHosts(settings)).toEqual(['127.0.0.1:4000']);
    expect(settings.namespace).toBe('/ns');
  });

  it('reads a consul section, with PATRONI_CONSUL_* over the file', () => {
    const consul = buildCtlSettings({ config: { scope: 'demo', consul: { host: '10.0.0.5:8500', token: 'file-token' } }, env: { PATRONI_CONSUL_TOKEN: 'env-token', PATRONI_CONSUL_PORT: '8501', PATRONI_CONSUL_VERIFY: 'false' } });
    expect(consul.dcs).toEqual({ type: 'consul', address: '10.0.0.5:8500', section: { host: '10.0.0.5:8500', token: 'env-token', port: 8501, verify: false } });
  });

  it('lets --dcs-url consul://host:port replace the DCS section, keeping the token of the file', () => {
    const settings = buildCtlSettings({ config: { ...config, consul: { host: 'ignored:1', token: 't' } }, env: {}, dcsUrl: parseDcsUrl('consul://127.0.0.1:8600/other') });
    expect(settings.dcs).toMatchObject({ type: 'consul', address: '127.0.0.1:8600', section: { host: '127.0.0.1:8600', token: 't' } });
    expect(settings.namespace).toBe('/other');
  });

  it('lets --dcs-url redis://host:port replace the redis section, keeping its password; PATRONI_REDIS_* typed', () => {
    const settings = buildCtlSettings({
      config: { ...config, redis: { host: 'ignored:1', password: 'p' } },
      env: { PATRONI_REDIS_DB: '3', PATRONI_REDIS_USERNAME: 'ops' },
      dcsUrl: parseDcsUrl('redis://127.0.0.1:6380/other'),
    });
    expect(settings.dcs).toMatchObject({ type: 'redis', address: '127.0.0.1:6380', section: { host: '127.0.0.1:6380', password: 'p', username: 'ops', db: 3 } });
    expect(settings.namespace).toBe('/other');
    expect(buildCtlSettings({ config: {}, env: {}, dcsUrl: parseDcsUrl('rediss://h') }).dcs).toMatchObject({ section: { host: 'h:6379', ssl: true } });
  });

  it('refuses a DCS it does not speak with one line naming what it does', () => {
    expect(() => buildCtlSettings({ config: {}, env: {}, dcsUrl: parseDcsUrl('exhibitor://x') })).toThrow(/etcd v3 .*, Consul .* Redis .* and ZooKeeper .*, not exhibitor/);
  });

  it('reads a zookeeper section (hosts list or string, PATRONI_ZOOKEEPER_HOSTS over the file) and -d zookeeper://host:port', () => {
    const fromFile = buildCtlSettings({ config: { scope: 'demo', zookeeper: { hosts: 'zk1:2181,zk2' } }, env: {} });
    expect(fromFile.dcs).toMatchObject({ type: 'zookeeper', hosts: ['zk1:2181', 'zk2:2181'] });
    const fromEnv = buildCtlSettings({ config: { scope: 'demo', zookeeper: { hosts: ['ignored:1'] } }, env: { PATRONI_ZOOKEEPER_HOSTS: 'zk3:2182' } });
    expect(fromEnv.dcs).toMatchObject({ type: 'zookeeper', hosts: ['zk3:2182'] });
    const fromUrl = buildCtlSettings({ config: {}, env: {}, dcsUrl: parseDcsUrl('zookeeper://127.0.0.1') });
    expect(fromUrl.dcs).toMatchObject({ type: 'zookeeper', hosts: ['127.0.0.1:2181'] });
  });
});

function etcdHosts(settings: CtlSettings): readonly string[] | undefined {
  return settings.dcs?.type === 'etcd3' ? settings.dcs.hosts : undefined;
}
