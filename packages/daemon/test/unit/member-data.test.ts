import { describe, expect, it } from 'vitest';
import { buildMemberData, derivePublishedState, publishedTags } from '../../src/runtime/member-data.js';
import { runningPrimary, testSettings } from '../doubles.js';

const self = { name: 'node1', apiUrl: 'http://127.0.0.1:8008/patroni', connUrl: 'postgres://127.0.0.1:5432/postgres', tags: { nofailover: false, clonefrom: true } };

describe('member key content', () => {
  it('publishes a running primary with its WAL position and timeline, boolean tags only when true', () => {
    const published = derivePublishedState(runningPrimary, undefined, true, testSettings);
    expect(published).toEqual({ state: 'running', role: 'primary' });
    expect(buildMemberData(self, runningPrimary, published, testSettings, undefined)).toEqual({
      conn_url: self.connUrl,
      api_url: self.apiUrl,
      state: 'running',
      role: 'primary',
      version: '4.0.0',
      tags: { clonefrom: true },
      xlog_location: 50_000_000,
      timeline: 1,
    });
  });

  it('never claims running while a clone runs, and hides WAL positions then', () => {
    const running = { name: "bootstrap from leader 'node2'", type: 'create-replica' as const, startedAtMs: 0 };
    const published = derivePublishedState({ ...runningPrimary, running: false, accepting: false, dataDirectory: 'empty' }, running, false, testSettings);
    expect(published).toEqual({ state: 'creating replica', role: 'uninitialized' });
    expect(buildMemberData(self, runningPrimary, published, testSettings, running)['xlog_location']).toBeUndefined();
  });

  it('calls a stopped former primary demoted and a stopped replica a replica', () => {
    const stopped = { ...runningPrimary, running: false, accepting: false };
    expect(derivePublishedState(stopped, undefined, false, testSettings).role).toBe('demoted');
    expect(derivePublishedState({ ...stopped, hasRecoveryConfig: true }, undefined, false, testSettings)).toEqual({ state: 'stopped', role: 'replica' });
  });

  it('marks pause and pending restart', () => {
    const local = { ...runningPrimary, pendingRestart: { max_connections: { old_value: '100', new_value: '200' } } };
    const data = buildMemberData(self, local, { state: 'running', role: 'primary' }, { ...testSettings, paused: true }, undefined);
    expect(data).toMatchObject({ pause: true, pending_restart: true, pending_restart_reason: local.pendingRestart });
    expect(publishedTags({ a: false, b: null, c: 'x' })).toEqual({ c: 'x' });
  });
});
