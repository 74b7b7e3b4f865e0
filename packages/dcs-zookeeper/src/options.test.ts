import { describe, expect, it } from 'vitest';
import { parseZooKeeperSettings, resolveConnectionString } from './options.js';

const base = { scope: 'demo', name: 'node1' };

describe('zookeeper settings', () => {
  it('hosts as a list or a comma string give the same connection string, default port 2181', () => {
    expect(resolveConnectionString(['10.0.0.1:2181', '10.0.0.2'])).toBe('10.0.0.1:2181,10.0.0.2:2181');
    expect(resolveConnectionString('10.0.0.1:2181, 10.0.0.2')).toBe('10.0.0.1:2181,10.0.0.2:2181');
  });

  it('applies Patroni defaults for the timings', () => {
    const settings = parseZooKeeperSettings({ ...base, hosts: 'zk:2181' });
    expect(settings).toMatchObject({ ttlSeconds: 30, loopWaitSeconds: 10, retryTimeoutSeconds: 10 });
  });

  it.each([
    ['use_ssl', true],
    ['cacert', '/ca.pem'],
    ['set_acls', { 'CN=principal': ['ALL'] }],
    ['auth_data', { digest: 'user:pass' }],
  ])('refuses %s by name instead of ignoring it', (field, value) => {
    expect(() => parseZooKeeperSettings({ ...base, hosts: 'zk', [field]: value })).toThrow(new RegExp(`zookeeper\\.${field}`));
  });

  it('accepts use_ssl: false (what Patroni does without TLS)', () => {
    expect(() => parseZooKeeperSettings({ ...base, hosts: 'zk', use_ssl: false })).not.toThrow();
  });

  it('refuses a missing hosts', () => {
    expect(() => parseZooKeeperSettings(base)).toThrow(/hosts/);
  });
});
