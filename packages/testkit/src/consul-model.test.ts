/**
 * The Consul model must itself follow Consul's documented semantics, since
 * the Consul adapter is verified only against it. Plain HTTP (fetch) in,
 * Consul's documented answers out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsulModel, type ConsulModel } from './consul-model.js';

let model: ConsulModel;

beforeAll(async () => {
  model = await startConsulModel({ sessionTtlMinMs: 200 });
});
afterAll(async () => {
  await model.close();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function http(method: string, path: string, body?: string): Promise<{ status: number; text: string; index: string | null }> {
  const response = await fetch(`${model.url}${path}`, { method, ...(body !== undefined ? { body } : {}) });
  return { status: response.status, text: await response.text(), index: response.headers.get('x-consul-index') };
}

async function session(ttl: string, behavior = 'delete', lockdelay = '0.001s'): Promise<string> {
  const created = await http('PUT', '/v1/session/create', JSON.stringify({ name: 't', checks: [], lockdelay, behavior, ttl }));
  expect(created.status).toBe(200);
  return (JSON.parse(created.text) as { ID: string }).ID;
}

describe('Consul model: KV', () => {
  it('a missing key is 404 with an X-Consul-Index; a value reads back base64-encoded with its indexes', async () => {
    const missing = await http('GET', '/v1/kv/m/kv/absent');
    expect(missing.status).toBe(404);
    expect(Number(missing.index)).toBeGreaterThan(0);
    expect((await http('PUT', '/v1/kv/m/kv/a', 'héllo')).text).toBe('true');
    const read = await http('GET', '/v1/kv/m/kv/a');
    const [entry] = JSON.parse(read.text) as Array<Record<string, unknown>>;
    expect(Buffer.from(String(entry?.['Value']), 'base64').toString('utf8')).toBe('héllo');
    expect(entry).toMatchObject({ Key: 'm/kv/a', Flags: 0, LockIndex: 0 });
    expect(read.index).toBe(String(entry?.['ModifyIndex']));
  });

  it('cas=0 creates only; cas=N writes only at ModifyIndex N; DELETE cas on an absent key answers true', async () => {
    expect((await http('PUT', '/v1/kv/m/cas/a?cas=0', '1')).text).toBe('true');
    expect((await http('PUT', '/v1/kv/m/cas/a?cas=0', '2')).text).toBe('false');
    const index = Number((await http('GET', '/v1/kv/m/cas/a')).index);
    expect((await http('PUT', `/v1/kv/m/cas/a?cas=${index + 5}`, '3')).text).toBe('false');
    expect((await http('PUT', `/v1/kv/m/cas/a?cas=${index}`, '3')).text).toBe('true');
    expect((await http('DELETE', `/v1/kv/m/cas/a?cas=${index}`)).text).toBe('false');
    expect((await http('DELETE', '/v1/kv/m/cas/nothing?cas=7')).text).toBe('true');
  });

  it('recurse lists a prefix; DELETE recurse removes it', async () => {
    await http('PUT', '/v1/kv/m/rec/a', '1');
    await http('PUT', '/v1/kv/m/rec/b/c', '2');
    await http('PUT', '/v1/kv/m/recx', '3');
    const keys = (JSON.parse((await http('GET', '/v1/kv/m/rec/?recurse')).text) as Array<{ Key: string }>).map((entry) => entry.Key);
    expect(keys).toEqual(['m/rec/a', 'm/rec/b/c']);
    await http('DELETE', '/v1/kv/m/rec/?recurse');
    expect((await http('GET', '/v1/kv/m/rec/?recurse')).status).toBe(404);
    expect(model.readRaw('m/recx')).toBe('3');
  });

  it('a blocking query returns when the prefix changes (also by deletion) and times out otherwise', async () => {
    await http('PUT', '/v1/kv/m/block/a', '1');
    const index = (await http('GET', '/v1/kv/m/block/?recurse')).index;
    const started = Date.now();
    const timedOut = await http('GET', `/v1/kv/m/block/?recurse&index=${index}&wait=150ms`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(timedOut.index).toBe(index);
    const waiting = http('GET', `/v1/kv/m/block/?recurse&index=${index}&wait=5s`);
    await sleep(50);
    await http('DELETE', '/v1/kv/m/block/a');
    const woken = await waiting;
    expect(woken.status).toBe(404);
    expect(Number(woken.index)).toBeGreaterThan(Number(index));
  });
});

describe('Consul model: sessions', () => {
  it('a TTL below SessionTTLMin is refused with Consul’s text', async () => {
    const refused = await http('PUT', '/v1/session/create', JSON.stringify({ ttl: '0.1s' }));
    expect(refused.status).toBe(500);
    expect(refused.text.startsWith('Invalid Session TTL')).toBe(true);
  });

  it('acquire by an unknown session is a 500 "invalid session"', async () => {
    const answer = await http('PUT', '/v1/kv/m/s/lock?acquire=00000000-0000-0000-0000-000000000000', 'x');
    expect(answer.status).toBe(500);
    expect(answer.text.startsWith('invalid session')).toBe(true);
  });

  it('a lock is exclusive to its session; re-acquiring by the holder does not raise LockIndex', async () => {
    const first = await session('10s');
    const second = await session('10s');
    expect((await http('PUT', `/v1/kv/m/s/excl?acquire=${first}`, 'a')).text).toBe('true');
    expect((await http('PUT', `/v1/kv/m/s/excl?acquire=${second}`, 'b')).text).toBe('false');
    expect((await http('PUT', `/v1/kv/m/s/excl?acquire=${first}`, 'c')).text).toBe('true');
    const [entry] = JSON.parse((await http('GET', '/v1/kv/m/s/excl')).text) as Array<Record<string, unknown>>;
    expect(entry).toMatchObject({ LockIndex: 1, Session: first });
  });

  it('an unrenewed session is invalidated after 2 x TTL, not at TTL, and behavior=delete removes its keys', async () => {
    const createdAt = Date.now();
    const id = await session('0.3s');
    expect((await http('PUT', `/v1/kv/m/s/ttl?acquire=${id}`, 'x')).text).toBe('true');
    await sleep(400);
    expect(model.readRaw('m/s/ttl')).toBe('x');
    while (model.readRaw('m/s/ttl') !== undefined && Date.now() - createdAt < 3000) await sleep(10);
    expect(model.readRaw('m/s/ttl')).toBeUndefined();
    expect(Date.now() - createdAt).toBeGreaterThanOrEqual(600);
    expect((await http('PUT', `/v1/session/renew/${id}`)).status).toBe(404);
  });

  it('renewal keeps the session alive past 2 x TTL', async () => {
    const id = await session('0.3s');
    expect((await http('PUT', `/v1/kv/m/s/renewed?acquire=${id}`, 'x')).text).toBe('true');
    for (let step = 0; step < 5; step++) {
      await sleep(200);
      expect((await http('PUT', `/v1/session/renew/${id}`)).status).toBe(200);
    }
    expect(model.readRaw('m/s/renewed')).toBe('x');
  });

  it('behavior=release keeps the key without a session; lock-delay blocks acquisition meanwhile', async () => {
    const holder = await session('10s', 'release', '300ms');
    const other = await session('10s');
    expect((await http('PUT', `/v1/kv/m/s/rel?acquire=${holder}`, 'x')).text).toBe('true');
    expect((await http('PUT', `/v1/session/destroy/${holder}`)).text).toBe('true');
    const [entry] = JSON.parse((await http('GET', '/v1/kv/m/s/rel')).text) as Array<Record<string, unknown>>;
    expect(entry?.['Session']).toBeUndefined();
    expect((await http('PUT', `/v1/kv/m/s/rel?acquire=${other}`, 'y')).text).toBe('false');
    await sleep(350);
    expect((await http('PUT', `/v1/kv/m/s/rel?acquire=${other}`, 'y')).text).toBe('true');
  });
});
