import { isPgwardenError } from '@pgwarden/core';
import { describe, expect, it } from 'vitest';
import { parseEtcdSettings, resolveEndpoints } from './options.js';

const base = { scope: 'demo', name: 'node1' };

describe('etcd3 settings', () => {
  it('hosts as a comma-separated string get the default port and protocol', () => {
    expect(resolveEndpoints(parseEtcdSettings({ ...base, hosts: '10.0.0.1:2379, 10.0.0.2 ,10.0.0.3:2381' }))).toEqual([
      'http://10.0.0.1:2379',
      'http://10.0.0.2:2379',
      'http://10.0.0.3:2381',
    ]);
  });

  it('protocol https applies to every host; url and host are accepted', () => {
    expect(resolveEndpoints(parseEtcdSettings({ ...base, hosts: ['a:1', 'b:2'], protocol: 'https' }))).toEqual(['https://a:1', 'https://b:2']);
    expect(resolveEndpoints(parseEtcdSettings({ ...base, url: 'https://etcd.example:2379' }))).toEqual(['https://etcd.example:2379']);
    expect(resolveEndpoints(parseEtcdSettings({ ...base, host: '127.0.0.1' }))).toEqual(['http://127.0.0.1:2379']);
  });

  it('proxy wins over hosts and is used as is', () => {
    expect(resolveEndpoints(parseEtcdSettings({ ...base, proxy: 'http://proxy:2379', hosts: 'a:1' }))).toEqual(['http://proxy:2379']);
  });

  it('no endpoint, srv, or a missing scope are typed errors naming what is wrong', () => {
    const attempt = (input: unknown): unknown => {
      try {
        resolveEndpoints(parseEtcdSettings(input));
        return undefined;
      } catch (error) {
        return error;
      }
    };
    const none = attempt(base);
    expect(isPgwardenError(none, 'dcs-config-invalid')).toBe(true);
    expect((none as Error).message).toMatch(/host, hosts, url or proxy/);
    expect((attempt({ ...base, srv: 'example.com' }) as Error).message).toMatch(/srv/);
    const noScope = attempt({ name: 'node1', hosts: 'a:1' });
    expect(isPgwardenError(noScope, 'dcs-config-invalid')).toBe(true);
    expect((noScope as Error).message).toMatch(/scope/);
  });
});
