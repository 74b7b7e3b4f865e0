/**
 * POST /switchover, POST /failover, DELETE /switchover against a recording
 * controller: Patroni's validation messages and codes, nothing written on a
 * rejected request, and the result polling after a write.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Cluster } from '@pgwarden/core';
import { RecordingController, cluster, member, primarySnapshot, send, startApi, stopAll } from './fixtures.js';

afterEach(stopAll);

function withClusters(...clusters: Cluster[]): RecordingController {
  const controller = new RecordingController();
  controller.clusters = clusters.map((value) => ({ ok: true, value }));
  return controller;
}

const SCHEDULED = '2026-01-15T14:00:00+01:00';
const ONE_HOUR_AHEAD = '2026-01-15T14:00:00+01:00'; // 13:00Z, an hour after NOW
const AN_HOUR_AGO = '2026-01-15T11:00:00+00:00';

describe('POST /switchover and /failover: rejections write nothing', () => {
  const cases: { name: string; path: string; body: unknown; status: number; text: string; clusterOverride?: Partial<Cluster> }[] = [
    { name: 'failover without candidate', path: '/failover', body: { leader: '' }, status: 400, text: 'Failover could be performed only to a specific candidate' },
    { name: 'switchover without leader', path: '/switchover', body: { candidate: 'node2' }, status: 400, text: 'Switchover could be performed only from a specific leader' },
    { name: 'scheduled failover', path: '/failover', body: { candidate: 'node2', scheduled_at: ONE_HOUR_AHEAD }, status: 400, text: "Failover can't be scheduled" },
    { name: 'schedule without timezone', path: '/switchover', body: { leader: 'node1', scheduled_at: '2026-01-15T14:00:00' }, status: 400, text: 'Timezone information is mandatory for the scheduled switchover' },
    { name: 'schedule in the past', path: '/switchover', body: { leader: 'node1', scheduled_at: AN_HOUR_AGO }, status: 422, text: 'Cannot schedule switchover in the past' },
    { name: 'unparsable schedule', path: '/switchover', body: { leader: 'node1', scheduled_at: 'tomorrow-ish' }, status: 422, text: 'Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601' },
    { name: 'schedule while paused', path: '/switchover', body: { leader: 'node1', scheduled_at: ONE_HOUR_AHEAD }, status: 400, text: "Can't schedule switchover in the paused state", clusterOverride: { config: { version: 8, modifyVersion: 8, data: { pause: true } } } },
    { name: 'switchover without candidate while paused', path: '/switchover', body: { leader: 'node1' }, status: 400, text: 'Switchover is possible only to a specific candidate in a paused state', clusterOverride: { config: { version: 8, modifyVersion: 8, data: { pause: true } } } },
    { name: 'leader equals candidate', path: '/switchover', body: { leader: 'node1', candidate: 'node1' }, status: 400, text: 'Switchover target and source are the same' },
    { name: 'leader not the lock owner', path: '/switchover', body: { leader: 'node2', candidate: 'node3' }, status: 412, text: 'leader name does not match' },
    { name: 'no leader at all', path: '/switchover', body: { leader: 'node1', candidate: 'node2' }, status: 412, text: 'leader name does not match', clusterOverride: { leader: undefined } },
    { name: 'unknown candidate', path: '/switchover', body: { leader: 'node1', candidate: 'node9' }, status: 412, text: 'candidate does not exists' },
    { name: 'candidate not in /sync for a switchover', path: '/switchover', body: { leader: 'node1', candidate: 'node3' }, status: 412, text: 'candidate name does not match with sync_standby', clusterOverride: { config: { version: 8, modifyVersion: 8, data: { synchronous_mode: true } }, sync: { version: 2, leader: 'node1', syncStandbys: ['node2'] } } },
    { name: 'candidate not a quorum voter for a switchover (quorum mode)', path: '/switchover', body: { leader: 'node1', candidate: 'node3' }, status: 412, text: 'candidate name does not match with sync_standby', clusterOverride: { config: { version: 8, modifyVersion: 8, data: { synchronous_mode: 'quorum' } }, sync: { version: 2, leader: 'node1', syncStandbys: ['node2'], quorum: 0 } } },
    { name: 'no sync standby in synchronous mode', path: '/switchover', body: { leader: 'node1' }, status: 412, text: 'switchover is not possible: can not find sync_standby', clusterOverride: { config: { version: 8, modifyVersion: 8, data: { synchronous_mode: 'on' } }, sync: { version: 2, leader: 'node1', syncStandbys: [] } } },
    { name: 'no member besides the leader', path: '/switchover', body: { leader: 'node1' }, status: 412, text: 'switchover is not possible: cluster does not have members except leader', clusterOverride: { members: [member('node1')] } },
    { name: 'unknown field', path: '/switchover', body: { leader: 'node1', candidat: 'node2' }, status: 400, text: 'Unknown field in the switchover request: candidat' },
    { name: 'wrong type', path: '/switchover', body: { leader: 'node1', candidate: 2 }, status: 400, text: 'candidate must be a string' },
    { name: 'malformed JSON', path: '/switchover', body: '{"leader": "node1",', status: 400, text: 'Bad Request: invalid JSON' },
    { name: 'empty object', path: '/switchover', body: {}, status: 400, text: 'Bad Request: the JSON object must not be empty' },
    { name: 'array body', path: '/failover', body: ['node2'], status: 400, text: 'Bad Request: the body must be a JSON object' },
  ];
  for (const testCase of cases) {
    it(`${testCase.name}: ${testCase.status}`, async () => {
      const controller = withClusters(cluster(testCase.clusterOverride));
      const { base } = await startApi(primarySnapshot(), {}, controller);
      const response = await send(base, 'POST', testCase.path, testCase.body);
      expect(response.status).toBe(testCase.status);
      expect(response.text.startsWith(testCase.text)).toBe(true);
      expect(controller.writes()).toEqual([]);
    });
  }

  it('refuses when no candidate is healthy (all nofailover or unreachable): 412', async () => {
    const controller = withClusters(cluster());
    controller.peerStatuses = (members) =>
      members.map((m, index) => ({ name: m.name, reachable: index === 0, tags: { nofailover: true } }));
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'POST', '/switchover', { leader: 'node1' });
    expect(response).toMatchObject({ status: 412, text: 'switchover is not possible: no good candidates have been found' });
    expect(controller.calls.find((call) => call.method === 'fetchPeerStatuses')?.args).toEqual([['node2', 'node3']]);
    expect(controller.writes()).toEqual([]);
  });

  it('answers 503 when the DCS cannot be read, writing nothing', async () => {
    const controller = new RecordingController();
    controller.clusters = [{ ok: false, reason: 'unreachable', message: 'timeout' }];
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'POST', '/switchover', { leader: 'node1', candidate: 'node2' });
    expect(response.status).toBe(503);
    expect(controller.writes()).toEqual([]);
  });
});

describe('POST /switchover and /failover: accepted requests', () => {
  it('writes /failover, wakes the cycle, and reports the new leader', async () => {
    const switched = cluster({ leader: { name: 'node2', version: 9 }, failover: undefined });
    const controller = withClusters(cluster(), cluster({ failover: { version: 3, leader: 'node1', candidate: 'node2' } }), switched);
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'POST', '/switchover', { leader: 'node1', candidate: 'node2' });
    expect(response).toMatchObject({ status: 200, text: 'Successfully switched over to "node2"' });
    expect(controller.writes()).toEqual([
      { method: 'setFailover', args: [{ leader: 'node1', member: 'node2' }, undefined] },
      { method: 'wake', args: [] },
    ]);
  });

  it('does not report a candidate that holds the key while the request stands: its pre_promote may refuse and another member take over', async () => {
    const request = { version: 3, leader: 'node1', candidate: 'node2' };
    const controller = withClusters(
      cluster(),
      cluster({ failover: request }),
      cluster({ leader: { name: 'node2', version: 9 }, failover: request }), // node2 took the key, pre_promote runs
      cluster({ leader: undefined, failover: request }), // pre_promote exited 1: node2 released the key
      cluster({ leader: { name: 'node3', version: 11 }, failover: undefined }), // node3 won and cleared the request
    );
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'POST', '/switchover', { leader: 'node1', candidate: 'node2' });
    expect(response).toMatchObject({ status: 200, text: 'Switched over to "node3" instead of "node2"' });
  });

  it('paused: reports the winner once it rewrote the request to keep only the candidate (as Patroni)', async () => {
    const controller = withClusters(cluster(), cluster({ leader: { name: 'node2', version: 9 }, failover: { version: 4, candidate: 'node2' } }));
    const { base } = await startApi(primarySnapshot(), { switchoverPollIntervalMs: 5, switchoverTimeoutMs: 5000 }, controller);
    const response = await send(base, 'POST', '/switchover', { leader: 'node1', candidate: 'node2' });
    expect(response).toMatchObject({ status: 200, text: 'Successfully switched over to "node2"' });
    expect(controller.calls.filter((call) => call.method === 'getCluster').length).toBe(2);
  });

  it('reports a new leader that never cleared the request (its write failed) at the timeout, not "status unknown"', async () => {
    const controller = withClusters(cluster(), cluster({ leader: { name: 'node2', version: 9 }, failover: { version: 3, leader: 'node1', candidate: 'node2' } }));
    const { base } = await startApi(primarySnapshot(), { switchoverPollIntervalMs: 5, switchoverTimeoutMs: 50 }, controller);
    const response = await send(base, 'POST', '/switchover', { leader: 'node1', candidate: 'node2' });
    expect(response).toMatchObject({ status: 200, text: 'Successfully switched over to "node2"' });
  });

  it('reports another winner than the requested candidate', async () => {
    const controller = withClusters(cluster(), cluster({ leader: { name: 'node3', version: 9 } }));
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'POST', '/failover', { candidate: 'node2' });
    expect(response).toMatchObject({ status: 200, text: 'Failed over to "node3" instead of "node2"' });
  });

  it('accepts the 3.x field name `member` for the candidate', async () => {
    const controller = withClusters(cluster(), cluster({ leader: { name: 'node2', version: 9 } }));
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'POST', '/failover', { member: 'node2' });
    expect(response).toMatchObject({ status: 200, text: 'Successfully failed over to "node2"' });
    expect(controller.writes()[0]).toEqual({ method: 'setFailover', args: [{ member: 'node2' }, undefined] });
  });

  it('treats a failover naming the leader as a switchover', async () => {
    const controller = withClusters(cluster(), cluster({ leader: { name: 'node2', version: 9 } }));
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'POST', '/failover', { leader: 'node1', candidate: 'node2' });
    expect(response.text).toBe('Successfully switched over to "node2"');
  });

  it('answers 503 "Switchover failed" when the request disappears and the leader stays', async () => {
    const pending = cluster({ failover: { version: 3, leader: 'node1', candidate: 'node2' } });
    const controller = withClusters(cluster(), pending, cluster({ failover: undefined }));
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'POST', '/switchover', { leader: 'node1', candidate: 'node2' });
    expect(response).toMatchObject({ status: 503, text: 'Switchover failed' });
  });

  it('answers 503 "Switchover failed" also when the request was never seen, after a second (Patroni\'s poll)', async () => {
    const controller = withClusters(cluster(), cluster({ failover: undefined }));
    const { base } = await startApi(primarySnapshot(), { switchoverPollIntervalMs: 50, switchoverTimeoutMs: 5000 }, controller);
    const response = await send(base, 'POST', '/switchover', { leader: 'node1', candidate: 'node2' });
    expect(response).toMatchObject({ status: 503, text: 'Switchover failed' });
    expect(controller.calls.filter((call) => call.method === 'getCluster').length).toBe(1 + 20);
  });

  it('does not take a read that lags its own /failover write for a refusal (a watch-cached DCS)', async () => {
    // The first poll still shows no request and the old leader; the next ones see the hand-over.
    const controller = withClusters(cluster(), cluster({ failover: undefined }), cluster({ leader: { name: 'node2', version: 9 } }));
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'POST', '/switchover', { leader: 'node1', candidate: 'node2' });
    expect(response).toMatchObject({ status: 200, text: 'Successfully switched over to "node2"' });
  });

  it('answers 503 "Switchover status unknown" after the timeout', async () => {
    const pending = cluster({ failover: { version: 3, leader: 'node1', candidate: 'node2' } });
    const controller = withClusters(cluster(), pending);
    const { base } = await startApi(primarySnapshot(), { switchoverPollIntervalMs: 5, switchoverTimeoutMs: 50 }, controller);
    const response = await send(base, 'POST', '/switchover', { leader: 'node1', candidate: 'node2' });
    expect(response.status).toBe(503);
    expect(response.text).toMatch(/^Switchover status unknown: node1 still holds the leader lock and is demoting or has not started to \(node1: [^)]+\)$/);
    const polls = controller.calls.filter((call) => call.method === 'getCluster').length;
    expect(polls).toBe(1 + 10);
  });

  it('says where the hand-over stands when it times out with the lock released', async () => {
    const released = cluster({ leader: undefined, failover: { version: 3, leader: 'node1', candidate: 'node2' } });
    const controller = withClusters(cluster(), released);
    const { base } = await startApi(primarySnapshot(), { switchoverPollIntervalMs: 5, switchoverTimeoutMs: 20 }, controller);
    const response = await send(base, 'POST', '/switchover', { leader: 'node1', candidate: 'node2' });
    expect(response.status).toBe(503);
    expect(response.text).toMatch(/^Switchover status unknown: node1 released the leader lock; node2 has not taken it yet \(node2: /);
  });

  it('schedules a switchover: 202, the timestamp written in isoformat, no polling', async () => {
    const controller = withClusters(cluster());
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'POST', '/switchover', { leader: 'node1', scheduled_at: '2026-01-15 14:00 +0100' });
    expect(response).toMatchObject({ status: 202, text: 'Switchover scheduled' });
    expect(controller.writes()).toEqual([
      { method: 'setFailover', args: [{ leader: 'node1', scheduled_at: '2026-01-15T14:00:00+01:00' }, undefined] },
      { method: 'wake', args: [] },
    ]);
    expect(controller.calls.filter((call) => call.method === 'getCluster')).toHaveLength(1);
  });

  it('answers 503 when the failover key cannot be written', async () => {
    const controller = withClusters(cluster());
    controller.setFailoverResult = { ok: false, reason: 'unreachable', message: 'timeout' };
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'POST', '/switchover', { leader: 'node1', candidate: 'node2' });
    expect(response).toMatchObject({ status: 503, text: 'failed to write failover key into DCS' });
    expect(controller.calls.some((call) => call.method === 'wake')).toBe(false);
  });

  it('a failover in synchronous mode may target an async member', async () => {
    const syncCluster = cluster({
      config: { version: 8, modifyVersion: 8, data: { synchronous_mode: true } },
      sync: { version: 2, leader: 'node1', syncStandbys: ['node2'] },
    });
    const controller = withClusters(syncCluster, cluster({ leader: { name: 'node3', version: 9 } }));
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'POST', '/failover', { candidate: 'node3' });
    expect(response).toMatchObject({ status: 200, text: 'Successfully failed over to "node3"' });
  });
});

describe('DELETE /switchover', () => {
  it('clears a scheduled switchover with CAS on its version: 200, and wakes the cycle', async () => {
    const controller = withClusters(cluster({ failover: { version: 11, leader: 'node1', scheduledAt: SCHEDULED } }));
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'DELETE', '/switchover');
    expect(response).toMatchObject({ status: 200, text: 'scheduled switchover deleted' });
    expect(controller.writes()).toEqual([
      { method: 'setFailover', args: [{}, 11] },
      { method: 'wake', args: [] },
    ]);
  });

  it('answers 404 when nothing is scheduled', async () => {
    const controller = withClusters(cluster({ failover: { version: 11, leader: 'node1', candidate: 'node2' } }));
    const { base } = await startApi(primarySnapshot(), {}, controller);
    expect(await send(base, 'DELETE', '/switchover')).toMatchObject({ status: 404, text: 'no switchover is scheduled' });
    expect(controller.writes()).toEqual([]);
  });

  it('answers 409 when the key changed meanwhile', async () => {
    const controller = withClusters(cluster({ failover: { version: 11, scheduledAt: SCHEDULED } }));
    controller.setFailoverResult = { ok: false, reason: 'conflict', message: 'version mismatch' };
    const { base } = await startApi(primarySnapshot(), {}, controller);
    expect((await send(base, 'DELETE', '/switchover')).status).toBe(409);
  });
});

