import { describe, expect, it } from 'vitest';
import { buildEffectiveConfig, parseDynamicConfig, type PatroniConfig } from '@pgwarden/core';
import { postgresParameters, toSelfIdentity } from '../../src/adapters/agent-configuration-map.js';
import { buildMemberData } from '../../src/runtime/member-data.js';

const local = {
  name: 'node1',
  scope: 'demo',
  restapi: { listen: '127.0.0.1:8008', connect_address: '127.0.0.1:8008' },
  postgresql: { listen: '127.0.0.1:5432', connect_address: '127.0.0.1:5432', proxy_address: '10.0.0.9:6432', data_dir: '/tmp/x', parameters: { synchronous_standby_names: 'node2', work_mem: '4MB' } },
  tags: {},
  watchdog: { mode: 'off', safety_margin: 5 },
} as unknown as PatroniConfig;

function effective(dynamic: Record<string, unknown>, tags: Record<string, unknown> = {}) {
  const parsed = parseDynamicConfig(dynamic);
  return buildEffectiveConfig({ ...local, tags } as PatroniConfig, parsed.config).config;
}

describe('the PostgreSQL parameters pgwarden hands to postgres-ctl', () => {
  it("keeps the user's synchronous_standby_names only while synchronous_mode is off", () => {
    expect(postgresParameters(effective({}))['synchronous_standby_names']).toBe('node2');
    expect(postgresParameters(effective({ synchronous_mode: true }))).not.toHaveProperty('synchronous_standby_names');
    expect(postgresParameters(effective({ synchronous_mode: true }))['work_mem']).toBe('4MB');
  });

  it('forces hot_standby_feedback where copies of permanent logical slots live, not on nofailover members', () => {
    const slots = { slots: { cdc: { type: 'logical', database: 'app', plugin: 'pgoutput' } } };
    expect(postgresParameters(effective(slots))['hot_standby_feedback']).toBe('on');
    expect(postgresParameters(effective(slots, { nofailover: true }))).not.toHaveProperty('hot_standby_feedback');
    expect(postgresParameters(effective({}))).not.toHaveProperty('hot_standby_feedback');
  });

  it('publishes postgresql.proxy_address as proxy_url in the member key', () => {
    const self = toSelfIdentity(local);
    expect(self.proxyUrl).toBe('postgres://10.0.0.9:6432/postgres');
    const data = buildMemberData(self, { dataDirectory: 'valid', running: false, accepting: false, inRecovery: false, hasRecoveryConfig: false, replication: [], pendingRestart: {} }, { state: 'stopped', role: 'uninitialized' } as never, { paused: false } as never, undefined);
    expect(data.proxy_url).toBe('postgres://10.0.0.9:6432/postgres');
  });
});
