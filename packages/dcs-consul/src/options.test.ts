import { isPgwardenError, type ConsulConfig } from '@pgwarden/core';
import { describe, expect, it } from 'vitest';
import { clusterBasePath, parseConsulSettings, resolveBaseUrl, sessionTtlText } from './options.js';

const identity = { scope: 'demo', name: 'node1' };

describe('consul settings', () => {
  it('defaults to the local agent on 127.0.0.1:8500 over http, default consistency, no checks', () => {
    const settings = parseConsulSettings(identity);
    expect(resolveBaseUrl(settings)).toBe('http://127.0.0.1:8500');
    expect(settings.consistency).toBe('default');
    expect(settings.checks).toEqual([]);
  });

  it('url wins over host and scheme; a host without a port gets 8500', () => {
    expect(resolveBaseUrl(parseConsulSettings({ ...identity, url: 'https://consul.example:8501/', host: 'x:1' }))).toBe('https://consul.example:8501');
    expect(resolveBaseUrl(parseConsulSettings({ ...identity, host: 'consul.local', scheme: 'https' }))).toBe('https://consul.local:8500');
    expect(resolveBaseUrl(parseConsulSettings({ ...identity, host: 'consul.local:8501', port: 9500 }))).toBe('http://consul.local:9500');
    expect(resolveBaseUrl(parseConsulSettings({ ...identity, host: '[::1]' }))).toBe('http://[::1]:8500');
  });

  it('a bad consistency is refused with a dcs-config-invalid error naming the field', () => {
    let caught: unknown;
    try {
      parseConsulSettings({ ...identity, consistency: 'linearizable' });
    } catch (error) {
      caught = error;
    }
    expect(isPgwardenError(caught, 'dcs-config-invalid')).toBe(true);
    expect((caught as Error).message).toContain('consistency');
  });

  it('register_service is refused rather than silently ignored', () => {
    expect(() => parseConsulSettings({ ...identity, register_service: true })).toThrow(/register_service/);
  });

  it('a key without a cert is refused', () => {
    expect(() => parseConsulSettings({ ...identity, key: '/etc/key.pem' })).toThrow(/consul.key/);
  });

  it('the base path has no leading slash and no duplicate slashes', () => {
    expect(clusterBasePath('/service/', 'demo')).toBe('service/demo');
    expect(clusterBasePath('//a//b/', 'demo')).toBe('a/b/demo');
  });

  it('the session TTL is ttl/2 written as Python writes a float', () => {
    expect(sessionTtlText(15)).toBe('15.0s');
    expect(sessionTtlText(12.5)).toBe('12.5s');
  });

  it('the consul section as the core config schema parses it is accepted as is', () => {
    const section: ConsulConfig = {
      host: 'consul.local',
      port: 8501,
      scheme: 'https',
      token: 't',
      consistency: 'default',
      checks: ['a', 'b'],
      register_service: false,
      service_tags: ['x'],
      service_check_interval: '5s',
    };
    const settings = parseConsulSettings({ ...section, ...identity });
    expect(resolveBaseUrl(settings)).toBe('https://consul.local:8501');
    expect(settings.token).toBe('t');
  });
});
