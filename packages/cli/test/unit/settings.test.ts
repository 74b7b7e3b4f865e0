import { describe, expect, it } from 'vitest';
import { buildCtlSettings } from '../../src/ctl/settings/ctl-settings.js';
import { parseDcsUrl } from '../../src/ctl/settings/dcs-url.js';
import { parseScheduled } from '../../src/ctl/commands/schedule.js';
import { toPythonJson } from '../../src/ctl/render/python-json.js';

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
    expect(() => parseDcsUrl('redis://x')).toThrow('Unknown dcs scheme: redis');
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
    expect(settings.dcs?.hosts).toEqual(['10.0.0.1:2379', '10.0.0.2:2379']);
    expect(settings.rest).toEqual({ username: 'api', password: 'secret', cacert: '/ca.pem', insecure: false });
  });

  it('prefers ctl.authentication and honours -k', () => {
    const settings = buildCtlSettings({ config: { ...config, ctl: { authentication: { username: 'ctl', password: 'p' } } }, env: {}, insecure: true });
    expect(settings.rest).toMatchObject({ username: 'ctl', password: 'p', insecure: true });
  });

  it('lets PATRONI_* variables override the file', () => {
    const settings = buildCtlSettings({ config, env: { PATRONI_SCOPE: 'other', PATRONI_ETCD3_HOSTS: '127.0.0.1:3000' } });
    expect(settings.scope).toBe('other');
    expect(settings.dcs?.hosts).toEqual(['127.0.0.1:3000']);
  });

  it('lets --dcs-url replace the DCS section and the namespace', () => {
    const settings = buildCtlSettings({ config, env: {}, dcsUrl: parseDcsUrl('etcd3://127.0.0.1:4000/ns') });
    expect(settings.dcs?.hosts).toEqual(['127.0.0.1:4000']);
    expect(settings.namespace).toBe('/ns');
  });

  it('says that consul is not supported rather than failing later', () => {
    expect(() => buildCtlSettings({ config: {}, env: {}, dcsUrl: parseDcsUrl('consul://x') })).toThrow(/etcd v3 only/);
  });
});

describe('--scheduled', () => {
  it('is immediate for now or nothing', () => {
    expect(parseScheduled('now')).toBeUndefined();
    expect(parseScheduled(undefined)).toBeUndefined();
  });
  it('keeps an explicit zone and normalises it', () => {
    expect(parseScheduled('2030-01-02T03:04Z')).toBe('2030-01-02T03:04:00+00:00');
    expect(parseScheduled('2030-01-02 03:04:05+0130')).toBe('2030-01-02T03:04:05+01:30');
  });
  it('adds the local offset when no zone is given', () => {
    expect(parseScheduled('2030-01-02T03:04')).toMatch(/^2030-01-02T03:04:00[+-]\d{2}:\d{2}$/);
  });
  it('refuses what it cannot parse, as patronictl words it', () => {
    expect(() => parseScheduled('tomorrow')).toThrow('Unable to parse scheduled timestamp (tomorrow)');
  });
});

describe('python-style JSON', () => {
  it('uses ", " and ": " and escapes non-ASCII', () => {
    expect(toPythonJson({ a: [1, 'é'], b: null, c: true })).toBe('{"a": [1, "\\u00e9"], "b": null, "c": true}');
  });
});
