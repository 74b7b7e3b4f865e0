import { isPgwardenError } from '@pgwarden/core';
import { describe, expect, it } from 'vitest';
import { watcherOptionsFromSettings } from './watcher-settings.js';

const dcs = { getCluster: () => Promise.reject(new Error('unused')), watch: () => Promise.resolve(false) };

function refusal(input: unknown): string {
  try {
    watcherOptionsFromSettings(input, dcs);
  } catch (error) {
    if (isPgwardenError(error, 'haproxy-invalid-options')) return error.message;
    throw error;
  }
  return 'accepted';
}

describe('watcherOptionsFromSettings', () => {
  it('fills Debian defaults: SIGUSR2 to the master in /run/haproxy.pid, 10 s polling', () => {
    const options = watcherOptionsFromSettings({ configFile: '/etc/haproxy/haproxy.cfg' }, dcs);
    expect(options.install).toEqual({ path: '/etc/haproxy/haproxy.cfg', reload: { method: 'signal', pidFile: '/run/haproxy.pid' }, haproxyBinary: '/usr/sbin/haproxy' });
    expect(options.pollIntervalMs).toBe(10_000);
  });

  it.each([
    [{}, 'configFile'],
    [{ configFile: '/x', reload: { method: 'signal' } }, 'reload.pidFile'],
    [{ configFile: '/x', reload: { method: 'restart' } }, 'reload'],
    [{ configFile: '/x', haproxy: { replicas: { port: 'five' } } }, 'haproxy.replicas'],
    [{ configFile: '/x', pollIntervalMs: 5 }, 'pollIntervalMs'],
  ])('refuses %j naming %s', (input, named) => {
    expect(refusal(input)).toContain(named);
  });
});
