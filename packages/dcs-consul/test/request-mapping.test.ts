/**
 * What the adapter puts on the wire and how it reads the answers, checked
 * against testkit's MODEL of Consul's documented HTTP API (not a real
 * Consul): Patroni's session body, key layout, query parameters, token
 * header, compact JSON values, and the typed outcomes of failures.
 */
import { startConsulModel, type ConsulModel, type RecordedRequest } from '@pgwarden/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConsulDcs, type ConsulDcsOptions } from '../src/index.js';

let model: ConsulModel;
const open: ConsulDcs[] = [];

beforeAll(async () => {
  model = await startConsulModel({ sessionTtlMinMs: 1000, token: 'secret-token' });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((dcs) => dcs.close()));
  model.failNext(0, 500, '');
  model.requests.length = 0;
});
afterAll(async () => {
  await model.close();
});

function member(overrides: Partial<ConsulDcsOptions> = {}): ConsulDcs {
  const dcs = new ConsulDcs({ url: model.url, token: 'secret-token', scope: 'demo', name: 'node1', ttlSeconds: 30, loopWaitSeconds: 10, retryTimeoutSeconds: 3, ...overrides });
  open.push(dcs);
  return dcs;
}

const find = (predicate: (request: RecordedRequest) => boolean): RecordedRequest | undefined => model.requests.find(predicate);

describe('requests as Patroni sends them', () => {
  it('creates the session with Patroni’s body: name scope-name, no checks, 1 ms lock-delay, behavior delete, ttl/2 as a float', async () => {
    const dcs = member({ scope: 'mapping-session' });
    expect((await dcs.acquireLeader()).kind).toBe('held');
    const create = find((request) => request.path === '/v1/session/create');
    expect(create?.method).toBe('PUT');
    expect(JSON.parse(create?.body ?? '{}')).toEqual({ name: 'mapping-session-node1', checks: [], lockdelay: '0.001s', behavior: 'delete', ttl: '15.0s' });
    const session = [...model.store.sessions.values()].find((candidate) => candidate.name === 'mapping-session-node1');
    expect(session?.ttlMs).toBe(15_000);
    expect(session?.behavior).toBe('delete');
  });

  it('sends the ACL token on every request and uses the key layout without a leading slash', async () => {
    const dcs = member({ scope: 'mapping-layout' });
    expect((await dcs.getCluster()).ok).toBe(true);
    expect((await dcs.acquireLeader()).kind).toBe('held');
    expect(model.requests.every((request) => request.token === 'secret-token')).toBe(true);
    expect(find((request) => request.method === 'GET' && request.path === '/v1/kv/service/mapping-layout/')?.query).toBe('recurse');
    const acquire = find((request) => request.method === 'PUT' && request.path === '/v1/kv/service/mapping-layout/leader');
    expect(acquire?.query).toMatch(/^acquire=[0-9a-f-]{36}$/);
    expect(acquire?.body).toBe('node1');
    expect(model.readRaw('service/mapping-layout/leader')).toBe('node1');
  });

  it('a refused token is reported unreachable with the HTTP status, never as a lost lock', async () => {
    const dcs = member({ scope: 'mapping-token', token: 'wrong' });
    const outcome = await dcs.acquireLeader();
    expect(outcome.kind).toBe('unreachable');
    if (outcome.kind === 'unreachable') expect(outcome.message).toContain('HTTP 403');
  });

  it('honours namespace, consistency and dc in the read', async () => {
    const dcs = member({ scope: 'mapping-read', namespace: '//pg//', consistency: 'consistent', dc: 'dc1' });
    expect((await dcs.getCluster()).ok).toBe(true);
    const read = find((request) => request.method === 'GET');
    expect(read?.path).toBe('/v1/kv/pg/mapping-read/');
    expect(read?.query).toBe('recurse&consistent&dc=dc1');
  });

  it('initialize is create-only with cas=0 and a second creation is a conflict', async () => {
    const dcs = member({ scope: 'mapping-init' });
    expect((await dcs.initialize({ createNew: true, sysid: '7380236651356719834' })).ok).toBe(true);
    expect(find((request) => request.path.endsWith('/initialize'))?.query).toBe('cas=0');
    const again = await dcs.initialize({ createNew: true, sysid: '1' });
    expect(again).toMatchObject({ ok: false, reason: 'conflict' });
    expect(model.readRaw('service/mapping-init/initialize')).toBe('7380236651356719834');
  });

  it('writes member data as compact JSON on our session, and skips an unchanged value', async () => {
    const dcs = member({ scope: 'mapping-member' });
    const data = { conn_url: 'postgres://10.0.0.11:5432/postgres', api_url: 'http://10.0.0.11:8008/patroni', state: 'running', role: 'replica', tags: { clonefrom: true }, name_é: 'x' };
    expect((await dcs.touchMember(data)).ok).toBe(true);
    expect(model.readRaw('service/mapping-member/members/node1')).toBe(
      '{"conn_url":"postgres://10.0.0.11:5432/postgres","api_url":"http://10.0.0.11:8008/patroni","state":"running","role":"replica","tags":{"clonefrom":true},"name_\\u00e9":"x"}',
    );
    expect(model.store.entries.get('service/mapping-member/members/node1')?.session).toBeDefined();
    const writes = model.requests.filter((request) => request.method === 'PUT' && request.path.includes('/members/')).length;
    expect((await dcs.touchMember(data)).ok).toBe(true);
    expect(model.requests.filter((request) => request.method === 'PUT' && request.path.includes('/members/')).length).toBe(writes);
  });

  it('a CAS write with a stale version is a conflict; with the current one it lands', async () => {
    const dcs = member({ scope: 'mapping-cas' });
    expect((await dcs.setConfig({ ttl: 30 })).ok).toBe(true);
    const cluster = await dcs.getCluster();
    const version = cluster.ok ? cluster.value.config?.version : undefined;
    expect(version).toBeGreaterThan(0);
    expect(await dcs.setConfig({ ttl: 40 }, (version ?? 0) + 1000)).toMatchObject({ ok: false, reason: 'conflict' });
    expect((await dcs.setConfig({ ttl: 40 }, version)).ok).toBe(true);
    expect(find((request) => request.query === `cas=${version}`)?.body).toBe('{"ttl":40}');
  });

  it('writeSyncState reads the key back and returns its new ModifyIndex', async () => {
    const dcs = member({ scope: 'mapping-sync' });
    const written = await dcs.writeSyncState('node1', ['node3', 'node2']);
    expect(written.ok).toBe(true);
    expect(model.readRaw('service/mapping-sync/sync')).toBe('{"leader":"node1","quorum":null,"sync_standby":"node2,node3"}');
    if (written.ok) expect(written.value.version).toBe(model.store.entries.get('service/mapping-sync/sync')?.modifyIndex);
  });
  it('deleteCluster removes the scope recursively and leaves a scope sharing its name prefix alone', async () => {
    model.writeRaw('service/mapping-delete/config', '{}');
    model.writeRaw('service/mapping-delete/members/a', '{}');
    model.writeRaw('service/mapping-delete2/config', '{}');
    expect((await member({ scope: 'mapping-delete' }).deleteCluster()).ok).toBe(true);
    expect(find((request) => request.method === 'DELETE')).toMatchObject({ path: '/v1/kv/service/mapping-delete/', query: 'recurse' });
    expect(model.readRaw('service/mapping-delete/config')).toBeUndefined();
    expect(model.readRaw('service/mapping-delete/members/a')).toBeUndefined();
    expect(model.readRaw('service/mapping-delete2/config')).toBe('{}');
  });
});

describe('answers and failures', () => {
  it('renewedAtMs is an injected-clock reading taken before the session renewal reached Consul', async () => {
    let now = 1_000_000;
    const readings: Array<{ value: number; requestsSeen: number }> = [];
    const clock = (): number => {
      now += 1;
      readings.push({ value: now, requestsSeen: model.requests.length });
      return now;
    };
    const dcs = member({ scope: 'mapping-clock', clock });
    expect((await dcs.acquireLeader()).kind).toBe('held');
    const before = now;
    const second = await dcs.updateLeader({});
    expect(second.kind).toBe('held');
    const renewAt = model.requests.findIndex((request) => request.path.startsWith('/v1/session/renew/'));
    expect(renewAt).toBeGreaterThanOrEqual(0);
    const readBeforeRenew = readings.filter((reading) => reading.value > before && reading.requestsSeen <= renewAt).map((reading) => reading.value);
    if (second.kind === 'held') expect(readBeforeRenew).toContain(second.renewedAtMs);
  });

  it('internal errors (500 without a known text) are retried and the operation succeeds', async () => {
    const dcs = member({ scope: 'mapping-retry' });
    model.failNext(2, 500, 'rpc error making call: No cluster leader');
    expect((await dcs.acquireLeader()).kind).toBe('held');
  });

  it('an unknown answer is unreachable within retry_timeout, never a lost lock', async () => {
    const dcs = member({ scope: 'mapping-unknown', retryTimeoutSeconds: 1 });
    expect((await dcs.acquireLeader()).kind).toBe('held');
    model.failNext(1000, 500, 'rpc error making call: No cluster leader');
    const started = Date.now();
    const outcome = await dcs.updateLeader({});
    expect(outcome.kind).toBe('unreachable');
    expect(Date.now() - started).toBeLessThan(2000);
    if (outcome.kind === 'unreachable') expect(outcome.message).toContain('No cluster leader');
  });

  it('a session destroyed behind our back is recreated and the member is written on the new one', async () => {
    const dcs = member({ scope: 'mapping-gone', loopWaitSeconds: 0.001 });
    expect((await dcs.touchMember({ state: 'running' })).ok).toBe(true);
    const first = model.store.entries.get('service/mapping-gone/members/node1')?.session;
    model.store.invalidateSession(first ?? '', Date.now());
    expect(model.readRaw('service/mapping-gone/members/node1')).toBeUndefined();
    expect((await dcs.touchMember({ state: 'running' })).ok).toBe(true);
    const second = model.store.entries.get('service/mapping-gone/members/node1')?.session;
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
  });

  it('an acquire answered "invalid session" recreates the session and retries once', async () => {
    const dcs = member({ scope: 'mapping-invalid', loopWaitSeconds: 60 });
    expect((await dcs.touchMember({ state: 'running' })).ok).toBe(true);
    const first = model.store.entries.get('service/mapping-invalid/members/node1')?.session ?? '';
    // Destroyed without our renewal noticing (the renewal is throttled by loop_wait).
    model.store.invalidateSession(first, Date.now());
    expect((await dcs.acquireLeader()).kind).toBe('held');
    const leaderSession = model.store.entries.get('service/mapping-invalid/leader')?.session;
    expect(leaderSession).toBeDefined();
    expect(leaderSession).not.toBe(first);
    expect(model.requests.filter((request) => request.path === '/v1/session/create')).toHaveLength(2);
  });

  it('a member write answered "invalid session" is retried once on a new session', async () => {
    const dcs = member({ scope: 'mapping-invalid-member', loopWaitSeconds: 60 });
    expect((await dcs.touchMember({ state: 'running' })).ok).toBe(true);
    const first = model.store.entries.get('service/mapping-invalid-member/members/node1')?.session ?? '';
    model.store.invalidateSession(first, Date.now());
    expect((await dcs.touchMember({ state: 'starting' })).ok).toBe(true);
    const second = model.store.entries.get('service/mapping-invalid-member/members/node1')?.session;
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
  });

  it('a session TTL the agent refuses is replaced by its SessionTTLMin', async () => {
    const strict = await startConsulModel({ sessionTtlMinMs: 10_000 });
    const dcs = new ConsulDcs({ url: strict.url, scope: 'mapping-ttl', name: 'node1', ttlSeconds: 4, loopWaitSeconds: 1, retryTimeoutSeconds: 3 });
    try {
      expect((await dcs.acquireLeader()).kind).toBe('held');
      const bodies = strict.requests.filter((request) => request.path === '/v1/session/create').map((request) => JSON.parse(request.body).ttl);
      expect(bodies).toEqual(['2.0s', '10.0s']);
      expect(strict.requests.some((request) => request.path === '/v1/agent/self')).toBe(true);
    } finally {
      await dcs.close();
      await strict.close();
    }
  });

  it('watch uses a blocking query from the index of the last read', async () => {
    const dcs = member({ scope: 'mapping-watch' });
    expect((await dcs.getCluster()).ok).toBe(true);
    expect(await dcs.watch(200)).toBe(false);
    const blocking = model.requests.filter((request) => request.method === 'GET' && /(^|&)index=\d+/.test(request.query));
    expect(blocking.length).toBeGreaterThan(0);
    expect(blocking[0]?.query).toMatch(/^recurse&index=\d+&wait=\d+ms$/);
  });
});

describe('resources', () => {
  it('many watches with one caller signal leave no listeners behind (no MaxListenersExceededWarning)', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.name);
    };
    process.on('warning', onWarning);
    try {
      const dcs = member({ scope: 'mapping-listeners' });
      expect((await dcs.getCluster()).ok).toBe(true);
      const controller = new AbortController();
      for (let round = 0; round < 25; round++) expect(await dcs.watch(1, controller.signal)).toBe(false);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('a bad certificate path is a dcs-config-invalid error naming the option', () => {
    expect(() => member({ cacert: '/nonexistent/ca.pem' })).toThrow(/consul.cacert: cannot read/);
  });
});
