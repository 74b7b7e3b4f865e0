import { consulDcsSettingsSchema } from '@pgwarden/dcs-consul';
import { etcdDcsSettingsSchema } from '@pgwarden/dcs-etcd';
import type { PatroniConfig } from '@pgwarden/core';
import { describe, expect, it } from 'vitest';
import { toConsulSettings, toEtcdSettings } from '../../src/adapters/agent-configuration-map.js';
import { memberConfig } from '../doubles.js';

const timings = { ttl: 30, loop_wait: 10, retry_timeout: 10 };

function configWith(dcsSection: string): PatroniConfig {
  return memberConfig([dcsSection], '/tmp/pgwarden-dcs-settings-test');
}

describe('the agent builds its DCS from the section the config names', () => {
  it('maps an etcd3 section with identity and timings into settings the etcd adapter accepts', () => {
    const settings = toEtcdSettings(configWith('etcd3: {hosts: "127.0.0.1:2379"}'), timings);
    expect(settings).toMatchObject({ scope: 'demo', name: 'node1', ttlSeconds: 30, loopWaitSeconds: 10, retryTimeoutSeconds: 10 });
    expect(etcdDcsSettingsSchema.safeParse(settings).success).toBe(true);
  });

  it('maps a consul section the same way into settings the Consul adapter accepts', () => {
    const settings = toConsulSettings(configWith('consul: {host: "127.0.0.1:8500", token: secret}'), timings);
    expect(settings).toMatchObject({ scope: 'demo', name: 'node1', host: '127.0.0.1:8500', token: 'secret', ttlSeconds: 30 });
    expect(consulDcsSettingsSchema.safeParse(settings).success).toBe(true);
  });
});
