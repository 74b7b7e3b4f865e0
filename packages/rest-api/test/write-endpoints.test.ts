/**
 * /config, /restart, /reinitialize, /reload, /failsafe against a recording
 * controller: each endpoint's success and rejection paths, body limits, and
 * Patroni's routing of methods without a handler.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MemberSnapshot } from '../src/index.js';
import { RecordingController, cluster, primarySnapshot, rawRequest, replicaSnapshot, send, startApi, stopAll } from './fixtures.js';

afterEach(stopAll);

describe('PATCH /config', () => {
  it('merges with null deleting keys, writes with CAS on the version read, wakes the cycle', async () => {
    const controller = new RecordingController();
    controller.clusters = [
      { ok: true, value: cluster({ config: { version: 7, modifyVersion: 7, data: { ttl: 30, postgresql: { parameters: { work_mem: '4MB', max_connections: 100 } }, pause: true } } }) },
    ];
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'PATCH', '/config', { pause: null, postgresql: { parameters: { work_mem: '8MB' } }, loop_wait: 5 });
    const expected = { ttl: 30, postgresql: { parameters: { work_mem: '8MB', max_connections: 100 } }, loop_wait: 5 };
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual(expected);
    expect(controller.writes()).toEqual([
      { method: 'setConfig', args: [expected, 7] },
      { method: 'wake', args: [] },
    ]);
  });

  it('does not write when nothing changes (1 and "1" are equal by string form), still answers 200', async () => {
    const controller = new RecordingController();
    controller.clusters = [{ ok: true, value: cluster({ config: { version: 7, modifyVersion: 7, data: { ttl: 30 } } }) }];
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'PATCH', '/config', { ttl: '30', absent: null });
    expect(response.status).toBe(200);
    expect(controller.writes()).toEqual([{ method: 'wake', args: [] }]);
  });

  it('answers 409 when the CAS write fails', async () => {
    const controller = new RecordingController();
    controller.setConfigResult = { ok: false, reason: 'conflict', message: 'version mismatch' };
    const { base } = await startApi(primarySnapshot(), {}, controller);
    expect((await send(base, 'PATCH', '/config', { ttl: 40 })).status).toBe(409);
    expect(controller.calls.some((call) => call.method === 'wake')).toBe(false);
  });

  it('answers 503 when the DCS holds no valid config, writing nothing', async () => {
    const controller = new RecordingController();
    controller.clusters = [{ ok: true, value: cluster({ config: { version: 3, modifyVersion: 0, data: {} } }) }];
    const { base } = await startApi(primarySnapshot(), {}, controller);
    expect((await send(base, 'PATCH', '/config', { ttl: 40 })).status).toBe(503);
    expect(controller.writes()).toEqual([]);
  });

  it('refuses malformed JSON with 400 and a message, and a body without Content-Length with 411', async () => {
    const controller = new RecordingController();
    const { base, port } = await startApi(primarySnapshot(), {}, controller);
    const malformed = await send(base, 'PATCH', '/config', '{"ttl": 40');
    expect(malformed.status).toBe(400);
    expect(malformed.text).toMatch(/^Bad Request: invalid JSON: /);
    const noLength = await rawRequest(port, 'PATCH', '/config');
    expect(noLength.split('\r\n')[0]).toBe('HTTP/1.1 411 Length Required');
    expect(controller.calls).toEqual([]);
  });

  it('refuses a body over the limit with 413 before reading it', async () => {
    const controller = new RecordingController();
    const { base } = await startApi(primarySnapshot(), { maxBodyBytes: 1000 }, controller);
    const response = await send(base, 'PATCH', '/config', { blob: 'x'.repeat(5000) });
    expect(response.status).toBe(413);
    expect(controller.calls).toEqual([]);
  });

  it('refuses an oversized chunked body (no Content-Length) with 413', async () => {
    const controller = new RecordingController();
    const { port } = await startApi(primarySnapshot(), { maxBodyBytes: 100 }, controller);
    const chunk = `{"a":"${'y'.repeat(300)}"}`;
    const answer = await rawRequest(port, 'PATCH', '/config', { 'Transfer-Encoding': 'chunked' }, `${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
    expect(controller.calls).toEqual([]);
  });
});

describe('PUT /config', () => {
  it('writes the body unconditionally (no CAS) when it differs, and wakes the cycle', async () => {
    const controller = new RecordingController();
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'PUT', '/config', { ttl: 40 });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ ttl: 40 });
    expect(controller.writes()).toEqual([
      { method: 'setConfig', args: [{ ttl: 40 }, undefined] },
      { method: 'wake', args: [] },
    ]);
  });

  it('skips the write when the body equals the stored config', async () => {
    const controller = new RecordingController();
    const { base } = await startApi(primarySnapshot(), {}, controller);
    expect((await send(base, 'PUT', '/config', { ttl: '30', loop_wait: 10 })).status).toBe(200);
    expect(controller.writes()).toEqual([]);
  });

  it('answers 502 when the write fails', async () => {
    const controller = new RecordingController();
    controller.setConfigResult = { ok: false, reason: 'unreachable', message: 'down' };
    const { base } = await startApi(primarySnapshot(), {}, controller);
    expect((await send(base, 'PUT', '/config', { ttl: 40 })).status).toBe(502);
    expect(controller.calls.some((call) => call.method === 'wake')).toBe(false);
  });
});

describe('POST /restart and DELETE /restart', () => {
  it('restarts now with the normalised filters: 200 with the controller message', async () => {
    const controller = new RecordingController();
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const response = await send(base, 'POST', '/restart', { role: 'master', postgres_version: '16.1', timeout: '2min', restart_pending: false });
    expect(response).toMatchObject({ status: 200, text: 'restarted successfully' });
    expect(controller.writes()).toEqual([
      { method: 'restart', args: [{ role: 'primary', postgresVersion: '16.1', timeoutSeconds: 120, restartPending: true }] },
    ]);
  });

  it('accepts an absent body as no filters', async () => {
    const controller = new RecordingController();
    const { port } = await startApi(primarySnapshot(), {}, controller);
    const answer = await rawRequest(port, 'POST', '/restart');
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(controller.writes()).toEqual([{ method: 'restart', args: [{}] }]);
  });

  it('answers 503 with the reason when the restart did not happen', async () => {
    const controller = new RecordingController();
    controller.restartOutcome = { ok: false, message: 'restart conditions are not satisfied' };
    const { base } = await startApi(primarySnapshot(), {}, controller);
    expect(await send(base, 'POST', '/restart', {})).toMatchObject({ status: 503, text: 'restart conditions are not satisfied' });
  });

  it('answers 400 "restart failed" when the controller throws', async () => {
    const controller = new RecordingController();
    controller.restartOutcome = new Error('boom');
    const { base } = await startApi(primarySnapshot(), {}, controller);
    expect(await send(base, 'POST', '/restart', {})).toMatchObject({ status: 400, text: 'restart failed' });
  });

  it('schedules a restart: 202, then 409 when another is scheduled', async () => {
    const controller = new RecordingController();
    const { base } = await startApi(primarySnapshot(), {}, controller);
    const body = { schedule: '2026-01-15T12:30:00Z', restart_pending: true };
    expect(await send(base, 'POST', '/restart', body)).toMatchObject({ status: 202, text: 'Restart scheduled' });
    expect(controller.writes()).toEqual([
      { method: 'scheduleRestart', args: [{ restartPending: true, schedule: '2026-01-15T12:30:00+00:00' }] },
    ]);
    controller.scheduleRestartResult = false;
    expect(await send(base, 'POST', '/restart', body)).toMatchObject({ status: 409, text: 'Another restart is already scheduled' });
  });

  const rejections: { name: string; body: Record<string, unknown>; status: number; text: string; paused?: boolean }[] = [
    { name: 'bad role', body: { role: 'leader' }, status: 400, text: 'PostgreSQL role should be either primary, standby_leader, or replica' },
    { name: 'bad version', body: { postgres_version: '9.6' }, status: 400, text: 'Invalid PostgreSQL version format: X.Y or X.Y.Z is accepted: 9.6' },
    { name: 'zero timeout', body: { timeout: 0 }, status: 400, text: 'Timeout should be a positive number of seconds' },
    { name: 'unknown filter', body: { rol: 'replica' }, status: 400, text: 'Unknown filter for the scheduled restart: rol' },
    { name: 'schedule in the past', body: { schedule: '2026-01-15T11:00:00Z' }, status: 422, text: 'Cannot schedule restart in the past' },
    { name: 'schedule without timezone', body: { schedule: '2026-01-15T13:00:00' }, status: 400, text: 'Timezone information is mandatory for the scheduled restart' },
    { name: 'schedule while paused', body: { schedule: 'not even a date' }, status: 500, text: "Can't schedule restart in the paused state", paused: true },
  ];
  for (const rejection of rejections) {
    it(`refuses ${rejection.name} with ${rejection.status}, calling nothing`, async () => {
      const controller = new RecordingController();
      const { base } = await startApi(primarySnapshot({ paused: rejection.paused === true }), {}, controller);
      expect(await send(base, 'POST', '/restart', rejection.body)).toMatchObject({ status: rejection.status, text: rejection.text });
      expect(controller.calls).toEqual([]);
    });
  }

  it('DELETE /restart: 200 when one was scheduled, 404 otherwise', async () => {
    const controller = new RecordingController();
    const { base } = await startApi(primarySnapshot(), {}, controller);
    expect(await send(base, 'DELETE', '/restart')).toMatchObject({ status: 200, text: 'scheduled restart deleted' });
    controller.cancelRestartResult = false;
    expect(await send(base, 'DELETE', '/restart')).toMatchObject({ status: 404, text: 'no restarts are scheduled' });
  });
});

describe('POST /reinitialize, /reload, /failsafe', () => {
  it('reinitializes with string booleans accepted: 200', async () => {
    const controller = new RecordingController();
    const { base } = await startApi(replicaSnapshot(), {}, controller);
    expect(await send(base, 'POST', '/reinitialize', { force: 'true' })).toMatchObject({ status: 200, text: 'reinitialize started' });
    expect(controller.writes()).toEqual([{ method: 'reinitialize', args: [{ force: true, fromLeader: false }] }]);
  });

  it('passes on the refusal of the agent with 503', async () => {
    const controller = new RecordingController();
    controller.reinitializeOutcome = { ok: false, message: 'I am the leader, can not reinitialize' };
    const { base } = await startApi(primarySnapshot(), {}, controller);
    expect(await send(base, 'POST', '/reinitialize', {})).toMatchObject({ status: 503, text: 'I am the leader, can not reinitialize' });
  });

  it('refuses unknown fields and non-boolean force with 400', async () => {
    const controller = new RecordingController();
    const { base } = await startApi(replicaSnapshot(), {}, controller);
    expect((await send(base, 'POST', '/reinitialize', { forse: true })).status).toBe(400);
    expect((await send(base, 'POST', '/reinitialize', { force: 'maybe' })).status).toBe(400);
    expect(controller.calls).toEqual([]);
  });

  it('schedules a reload: 202', async () => {
    const controller = new RecordingController();
    const { base } = await startApi(primarySnapshot(), {}, controller);
    expect(await send(base, 'POST', '/reload')).toMatchObject({ status: 202, text: 'reload scheduled' });
    expect(controller.writes()).toEqual([{ method: 'reload', args: [] }]);
  });

  it('accepts a failsafe leader with the lsn header when failsafe mode is on', async () => {
    const controller = new RecordingController();
    const { base } = await startApi(replicaSnapshot({ failsafeMode: true }), {}, controller);
    const body = { name: 'node1', conn_url: 'postgres://127.0.0.1:5431/postgres', api_url: 'http://127.0.0.1:8001/patroni', slots: { node2: 100 } };
    const response = await send(base, 'POST', '/failsafe', body);
    expect(response).toMatchObject({ status: 200, text: 'Accepted' });
    expect(response.headers.get('lsn')).toBe('1234');
    expect(controller.writes()).toEqual([{ method: 'acceptFailsafe', args: [body] }]);
  });

  it('answers 500 with the reason when this member runs as the leader', async () => {
    const controller = new RecordingController();
    controller.failsafeOutcome = { accepted: false, message: 'Running as a leader' };
    const { base } = await startApi(primarySnapshot({ failsafeMode: true }), {}, controller);
    expect(await send(base, 'POST', '/failsafe', { name: 'node2' })).toMatchObject({ status: 500, text: 'Running as a leader' });
  });

  it('answers 502 when failsafe mode is off, and 400 for a body without a name', async () => {
    const controller = new RecordingController();
    const off = await startApi(replicaSnapshot(), {}, controller);
    expect((await send(off.base, 'POST', '/failsafe', { name: 'node1' })).status).toBe(502);
    const on = await startApi(replicaSnapshot({ failsafeMode: true }), {}, controller);
    expect((await send(on.base, 'POST', '/failsafe', { conn_url: 'x' })).status).toBe(400);
    expect(controller.calls).toEqual([]);
  });
});

describe('routing', () => {
  it('answers 501 to a method without a handler', async () => {
    const { base } = await startApi(primarySnapshot());
    expect(await send(base, 'POST', '/primary')).toMatchObject({ status: 501, text: "Unsupported method ('POST')" });
    expect((await send(base, 'PUT', '/switchover', { leader: 'node1' })).status).toBe(501);
  });

  it('answers 503 to everything before the first snapshot', async () => {
    const { base, port, api } = await startApi(undefined);
    expect((await send(base, 'GET', '/patroni')).status).toBe(503);
    expect(await rawRequest(port, 'OPTIONS', '/primary')).toBe('HTTP/1.0 503 Service Unavailable\r\n\r\n');
    api.setSnapshot(primarySnapshot());
    expect(await rawRequest(port, 'OPTIONS', '/primary')).toBe('HTTP/1.0 200 OK\r\n\r\n');
  });
});

describe('robustness', () => {
  it('answers 500 (GET) or a bare 503 (OPTIONS) when the snapshot is malformed, and keeps serving', async () => {
    const broken = { ...primarySnapshot(), postgres: { ...primarySnapshot().postgres, replication: undefined } } as unknown as MemberSnapshot;
    const { base, port, api } = await startApi(broken);
    expect((await send(base, 'GET', '/patroni')).status).toBe(500);
    expect((await send(base, 'GET', '/primary')).status).toBe(500);
    expect(await rawRequest(port, 'OPTIONS', '/primary')).toBe('HTTP/1.0 200 OK\r\n\r\n');
    api.setSnapshot(primarySnapshot());
    expect((await send(base, 'GET', '/patroni')).status).toBe(200);
  });
});
