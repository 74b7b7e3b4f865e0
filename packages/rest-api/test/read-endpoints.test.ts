/**
 * JSON bodies field by field and the Prometheus text of /metrics, over real
 * HTTP: /patroni for a primary and a replica, /cluster (fresh DCS read, 4.x
 * lag fields), /history, /config, /failsafe.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LEADER_LSN, NOW_MS, RecordingController, cluster, member, primaryPostgres, primarySnapshot, replicaPostgres, replicaSnapshot, send, startApi, stopAll } from './fixtures.js';

function replicaPostgresAt(lsn: number) {
  return replicaPostgres({ walPosition: lsn, receivedLsn: lsn, replayedLsn: lsn });
}

afterEach(stopAll);

describe('GET /patroni', () => {
  it('asks the controller for fresh replication positions first and answers with them', async () => {
    const controller = new RecordingController();
    const { api, base } = await startApi(replicaSnapshot({ postgres: replicaPostgresAt(LEADER_LSN - 16_777_216) }), {}, controller);
    let refreshes = 0;
    controller.refreshStatus = async () => {
      refreshes += 1;
      api.setSnapshot(replicaSnapshot({ postgres: replicaPostgresAt(LEADER_LSN) }));
    };
    const body = JSON.parse((await send(base, 'GET', '/patroni')).text) as { xlog: { received_location: number } };
    expect(refreshes).toBe(1);
    expect(body.xlog.received_location).toBe(LEADER_LSN);
    // Health checks stay on the snapshot: no refresh for them.
    await send(base, 'OPTIONS', '/replica');
    await send(base, 'GET', '/health');
    expect(refreshes).toBe(1);
  });

  it('answers from the snapshot when the refresh takes longer than a second', async () => {
    const controller = new RecordingController();
    controller.refreshStatus = () => new Promise<void>(() => undefined);
    const { base } = await startApi(replicaSnapshot({ postgres: replicaPostgresAt(LEADER_LSN - 1000) }), {}, controller);
    const response = await send(base, 'GET', '/patroni');
    expect(response.status).toBe(200);
    expect((JSON.parse(response.text) as { xlog: { received_location: number } }).xlog.received_location).toBe(LEADER_LSN - 1000);
  });

  it('publishes a primary in Patroni 4.x field order and spelling', async () => {
    const snapshot = primarySnapshot({
      tags: { clonefrom: true },
      postgres: primaryPostgres({ pendingRestart: { shared_buffers: { old_value: '128MB', new_value: '256MB' } } }),
      scheduledRestart: { schedule: '2026-01-15T13:00:00+00:00', restart_pending: true },
    });
    const { base } = await startApi(snapshot);
    const response = await send(base, 'GET', '/patroni');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(response.text)).toEqual(
      ({
        state: 'running',
        postmaster_start_time: '2026-01-15 11:00:00.000+00:00',
        role: 'primary',
        server_version: 150004,
        xlog: { location: LEADER_LSN },
        timeline: 2,
        replication: [{ usename: 'replicator', application_name: 'node2', client_addr: '127.0.0.1', state: 'streaming', sync_state: 'async', sync_priority: 0 }],
        dcs_last_seen: Math.floor((NOW_MS - 1000) / 1000),
        tags: { clonefrom: true },
        database_system_identifier: '7268616322854375442',
        pending_restart: true,
        pending_restart_reason: { shared_buffers: { old_value: '128MB', new_value: '256MB' } },
        patroni: { version: '4.0.4', scope: 'demo', name: 'node1' },
        scheduled_restart: { schedule: '2026-01-15T13:00:00+00:00', restart_pending: true },
      }),
    );
    expect(Object.keys(JSON.parse(response.text) as object)).toEqual([
      'state', 'postmaster_start_time', 'role', 'server_version', 'xlog', 'timeline', 'replication', 'dcs_last_seen', 'tags',
      'database_system_identifier', 'pending_restart', 'pending_restart_reason', 'patroni', 'scheduled_restart',
    ]);
    // Python's json.dumps separators, byte for byte, for scripts that match on Patroni's text.
    expect(response.text.startsWith('{"state": "running", "postmaster_start_time": "2026-01-15 11:00:00.000+00:00", "role": "primary", ')).toBe(true);
  });

  it('escapes non-ASCII characters as Python does', async () => {
    const { base } = await startApi(primarySnapshot({ tags: { zone: 'Zürich 🚀' } }));
    expect((await send(base, 'GET', '/patroni')).text).toContain('"tags": {"zone": "Z\\u00fcrich \\ud83d\\ude80"}');
  });

  it('publishes a replica with xlog positions, replication_state and sync_standby', async () => {
    const snapshot = replicaSnapshot({
      synchronousMode: true,
      cluster: cluster({ sync: { version: 1, leader: 'node1', syncStandbys: ['node2'] } }),
    });
    const { base } = await startApi(snapshot);
    const body = JSON.parse((await send(base, 'GET', '/patroni')).text) as Record<string, unknown>;
    expect(body).toMatchObject({
      role: 'replica',
      xlog: { received_location: LEADER_LSN, replayed_location: LEADER_LSN, replayed_timestamp: '2026-01-15 11:59:59.5+00:00', paused: false },
      sync_standby: true,
      timeline: 2,
      replication_state: 'streaming',
    });
    expect(body).not.toHaveProperty('cluster_unlocked');
  });

  it('reports cluster_unlocked, pause and failsafe once the cached view expired', async () => {
    const { base, clock } = await startApi(replicaSnapshot({ paused: true, failsafeActive: true }));
    clock.now = NOW_MS + 60_000;
    const body = JSON.parse((await send(base, 'GET', '/patroni')).text) as Record<string, unknown>;
    expect(body).toMatchObject({ pause: true, cluster_unlocked: true, failsafe_mode_is_active: true });
  });

  it('reports state "unknown" and the internal role when running PostgreSQL does not answer', async () => {
    const { base } = await startApi(primarySnapshot({ role: 'demoted', postgres: primaryPostgres({ accepting: false }) }));
    const body = JSON.parse((await send(base, 'GET', '/patroni')).text) as Record<string, unknown>;
    expect(body['state']).toBe('unknown');
    expect(body['role']).toBe('demoted');
    expect(body).not.toHaveProperty('xlog');
  });

  it("publishes a stopped member's data directory timeline under its own name, never as Patroni's running-only timeline", async () => {
    const stopped = primaryPostgres({ running: false, accepting: false, replication: [], timeline: 2, dataDirectoryTimeline: 3 });
    const { base } = await startApi(primarySnapshot({ role: 'demoted', state: 'stopped', postgres: stopped }));
    const body = JSON.parse((await send(base, 'GET', '/patroni')).text) as Record<string, unknown>;
    expect(body).toMatchObject({ state: 'stopped', role: 'demoted', data_directory_timeline: 3 });
    expect(body).not.toHaveProperty('timeline');
    expect(body).not.toHaveProperty('xlog');
    const running = JSON.parse((await send((await startApi(primarySnapshot())).base, 'GET', '/patroni')).text) as Record<string, unknown>;
    expect(running).not.toHaveProperty('data_directory_timeline');
  });

  it('publishes a primary as "master" and a replica as "replica" under the Patroni 3.x spelling', async () => {
    const primary = await startApi(primarySnapshot({ primaryRole: 'master' }));
    expect(JSON.parse((await send(primary.base, 'GET', '/patroni')).text)).toMatchObject({ role: 'master' });
    expect((await send(primary.base, 'GET', '/primary')).status).toBe(200);
    const replica = await startApi(replicaSnapshot({ primaryRole: 'master' }));
    expect(JSON.parse((await send(replica.base, 'GET', '/patroni')).text)).toMatchObject({ role: 'replica' });
  });

  it('reads nothing from the controller', async () => {
    const controller = new RecordingController();
    const { base } = await startApi(primarySnapshot(), {}, controller);
    await send(base, 'GET', '/patroni');
    await send(base, 'GET', '/replica?lag=1MB');
    await send(base, 'GET', '/metrics');
    expect(controller.calls).toEqual([]);
  });
});

describe('GET /cluster', () => {
  it('reads the DCS freshly and lists members sorted by name with 4.x lag fields', async () => {
    const controller = new RecordingController();
    const fresh = cluster({
      members: [
        member('node3', { xlog_location: LEADER_LSN - 2048, receive_lsn: LEADER_LSN - 1024, replication_state: 'streaming', tags: { nofailover: true } }),
        member('node1', { role: 'primary', timeline: 2 }),
        member('node2', { xlog_location: undefined, state: 'stopped' }),
      ],
      failover: { version: 4, leader: 'node1', candidate: 'node3', scheduledAt: '2026-01-15T13:00:00+00:00' },
      config: { version: 7, modifyVersion: 7, data: { pause: true } },
    });
    controller.clusters = [{ ok: true, value: fresh }];
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const body = JSON.parse((await send(base, 'GET', '/cluster')).text) as { members: Record<string, unknown>[] };
    expect(body).toEqual({
      members: [
        { name: 'node1', role: 'leader', state: 'running', api_url: 'http://127.0.0.1:801/patroni', host: '127.0.0.1', port: 541, timeline: 2 },
        {
          name: 'node2', role: 'replica', state: 'stopped', api_url: 'http://127.0.0.1:802/patroni', host: '127.0.0.1', port: 542,
          receive_lsn: 'unknown', receive_lag: 'unknown', replay_lsn: 'unknown', replay_lag: 'unknown', lsn: 'unknown', lag: 'unknown',
        },
        {
          name: 'node3', role: 'replica', state: 'streaming', api_url: 'http://127.0.0.1:803/patroni', host: '127.0.0.1', port: 543, tags: { nofailover: true },
          receive_lag: 1024, receive_lsn: '0/1F3FFC00', replay_lsn: 'unknown', replay_lag: 'unknown', lag: 2048, lsn: '0/1F3FF800',
        },
      ],
      pause: true,
      scheduled_switchover: { at: '2026-01-15T13:00:00+00:00', from: 'node1', to: 'node3' },
      scope: 'demo',
    });
    expect(controller.calls).toEqual([{ method: 'getCluster', args: [] }]);
  });

  it('answers 503 when the DCS cannot be read', async () => {
    const controller = new RecordingController();
    controller.clusters = [{ ok: false, reason: 'unreachable', message: 'down' }];
    const { base } = await startApi(primarySnapshot(), {}, controller);
    expect((await send(base, 'GET', '/cluster')).status).toBe(503);
  });
});

describe('GET /history, /config, /failsafe', () => {
  it('serves /history and /config from the valid cached view without a DCS read', async () => {
    const controller = new RecordingController();
    const snapshot = primarySnapshot({ cluster: cluster({ history: { version: 1, lines: [[1, 25165984, 'no recovery target specified', '2026-01-14T10:00:00+00:00', 'node1']] } }) });
    const { base } = await startApi(snapshot, {}, controller);
    expect(JSON.parse((await send(base, 'GET', '/history')).text)).toEqual([[1, 25165984, 'no recovery target specified', '2026-01-14T10:00:00+00:00', 'node1']]);
    expect(JSON.parse((await send(base, 'GET', '/config')).text)).toEqual({ ttl: 30, loop_wait: 10 });
    expect(controller.calls).toEqual([]);
  });

  it('reads the DCS when the cached view expired; /config without a config is 502', async () => {
    const controller = new RecordingController();
    controller.clusters = [{ ok: true, value: cluster({ config: undefined }) }];
    const { base, clock } = await startApi(primarySnapshot(), {}, controller);
    clock.now = NOW_MS + 60_000;
    expect(JSON.parse((await send(base, 'GET', '/history')).text)).toEqual([]);
    expect((await send(base, 'GET', '/config')).status).toBe(502);
    expect(controller.calls.map((call) => call.method)).toEqual(['getCluster', 'getCluster']);
  });

  it('serves /failsafe when failsafe mode is on, 502 otherwise', async () => {
    const failsafe = { node1: 'http://127.0.0.1:801/patroni', node2: 'http://127.0.0.1:802/patroni' };
    const on = await startApi(primarySnapshot({ failsafeMode: true, cluster: cluster({ failsafe }) }));
    expect(JSON.parse((await send(on.base, 'GET', '/failsafe')).text)).toEqual(failsafe);
    const off = await startApi(primarySnapshot());
    expect((await send(off.base, 'GET', '/failsafe')).status).toBe(502);
  });
});

describe('GET /metrics', () => {
  it("emits Patroni's series with HELP/TYPE lines and labels, then pgwarden's", async () => {
    const snapshot = primarySnapshot({
      metrics: {
        cyclesTotal: 42,
        cycleDurationSecondsTotal: 2.5,
        lastCycleDurationSeconds: 0.05,
        actionsTotal: { 'update-lock': 41, promote: 1 },
        dcsRequestsTotal: 90,
        dcsLatencySecondsTotal: 0.9,
        lastDcsLatencySeconds: 0.004,
      },
    });
    const { base } = await startApi(snapshot);
    const response = await send(base, 'GET', '/metrics');
    expect(response.headers.get('content-type')).toBe('text/plain');
    const samples = response.text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    const names = samples.map((line) => line.slice(0, line.indexOf('{')));
    expect(names.slice(0, 22)).toEqual([
      'patroni_version', 'patroni_postgres_running', 'patroni_postmaster_start_time', 'patroni_primary', 'patroni_xlog_location',
      'patroni_standby_leader', 'patroni_replica', 'patroni_sync_standby', 'patroni_quorum_standby', 'patroni_xlog_received_location',
      'patroni_xlog_replayed_location', 'patroni_xlog_replayed_timestamp', 'patroni_xlog_paused', 'patroni_postgres_streaming',
      'patroni_postgres_in_archive_recovery', 'patroni_postgres_server_version', 'patroni_cluster_unlocked',
      'patroni_failsafe_mode_is_active', 'patroni_postgres_timeline', 'patroni_dcs_last_seen', 'patroni_pending_restart', 'patroni_is_paused',
    ]);
    expect(samples).toContain('patroni_version{scope="demo",name="node1"} 040004');
    expect(samples).toContain(`patroni_xlog_location{scope="demo",name="node1"} ${LEADER_LSN}`);
    expect(samples).toContain('patroni_postmaster_start_time{scope="demo",name="node1"} 1768474800');
    expect(samples).toContain('patroni_primary{scope="demo",name="node1"} 1');
    expect(names[22]).toBe('patroni_postgres_state');
    expect(samples).toContain('patroni_postgres_state{scope="demo",name="node1"} 5');
    expect(response.text).toContain('# Values: 0=initdb, 1=initdb_failed, 2=custom_bootstrap,');
    expect(samples).toContain('pgwarden_is_leader{scope="demo",name="node1"} 1');
    expect(samples).toContain('pgwarden_diverged{scope="demo",name="node1"} 0');
    expect(samples).toContain('pgwarden_actions_total{scope="demo",name="node1",action="promote"} 1');
    expect(samples).toContain('pgwarden_last_dcs_latency_seconds{scope="demo",name="node1"} 0.004');
    expect(response.text).toContain('# TYPE patroni_xlog_location counter\n');
    expect(response.text).toContain('# HELP pgwarden_cycles_total ');
  });

  it("shows the cycle-duration histogram and, when the agent gives it, its process's health", async () => {
    const snapshot = primarySnapshot({
      metrics: {
        cyclesTotal: 3,
        cycleDurationSecondsTotal: 7.05,
        lastCycleDurationSeconds: 7,
        actionsTotal: {},
        cycleDurationBuckets: [
          { le: 0.05, count: 2 },
          { le: 10, count: 3 },
        ],
      },
    });
    const health = { residentMemoryBytes: 52_428_800, heapUsedBytes: 9_000_000, cpuSecondsTotal: 1.25, eventLoopDelayMaxSeconds: 0.35, eventLoopDelayP99Seconds: 0.012 };
    const { base } = await startApi(snapshot, { processHealth: () => health });
    const text = (await send(base, 'GET', '/metrics')).text;
    expect(text).toContain('# TYPE pgwarden_cycle_duration_seconds histogram\n');
    expect(text).toContain('\npgwarden_cycle_duration_seconds_bucket{scope="demo",name="node1",le="0.05"} 2\n');
    expect(text).toContain('\npgwarden_cycle_duration_seconds_bucket{scope="demo",name="node1",le="+Inf"} 3\n');
    expect(text).toContain('\npgwarden_cycle_duration_seconds_sum{scope="demo",name="node1"} 7.05\n');
    expect(text).toContain('\nprocess_resident_memory_bytes{scope="demo",name="node1"} 52428800\n');
    expect(text).toContain('\nprocess_cpu_seconds_total{scope="demo",name="node1"} 1.25\n');
    expect(text).toContain('\npgwarden_event_loop_delay_max_seconds{scope="demo",name="node1"} 0.35\n');
    const without = await startApi(snapshot);
    expect((await send(without.base, 'GET', '/metrics')).text).not.toContain('process_resident_memory_bytes');
  });

  it('adds patroni_master beside patroni_primary under the Patroni 3.x spelling, and only then', async () => {
    const legacy = await startApi(primarySnapshot({ primaryRole: 'master' }));
    const legacyText = (await send(legacy.base, 'GET', '/metrics')).text;
    expect(legacyText).toContain('\npatroni_master{scope="demo",name="node1"} 1\n');
    expect(legacyText).toContain('\npatroni_primary{scope="demo",name="node1"} 1\n');
    const replica = await startApi(replicaSnapshot({ primaryRole: 'master' }));
    expect((await send(replica.base, 'GET', '/metrics')).text).toContain('\npatroni_master{scope="demo",name="node2"} 0\n');
    const current = await startApi(primarySnapshot());
    expect((await send(current.base, 'GET', '/metrics')).text).not.toContain('patroni_master');
  });

  it('says when a member diverged from the leader and nothing repairs it (pgwarden_diverged), for alerting', async () => {
    const diverged = await startApi(replicaSnapshot({ diverged: true }));
    expect((await send(diverged.base, 'GET', '/metrics')).text).toContain('\npgwarden_diverged{scope="demo",name="node2"} 1\n');
  });
});
