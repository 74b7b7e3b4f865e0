/**
 * Answers of etcd 3.4.23's JSON gateway, recorded from a real server, read
 * by the schemas and classified as the adapter needs them. proto3 JSON
 * leaves out default values: these cases pin what "absent" means.
 */
import { describe, expect, it } from 'vitest';
import { classifyEtcdError, EtcdGatewayError, needsNewToken } from './errors.js';
import { leaseKeepAliveAnswerSchema, rangeAnswerSchema, txnAnswerSchema, watchAnswerSchema } from './gateway-answers.js';
import { gatewayErrorOf } from './gateway-http.js';

const header = { cluster_id: '5187156560581761765', member_id: '84038785821706717', revision: '6', raft_term: '2' };

describe('gateway answers', () => {
  it('a range decodes base64 keys and values, keeps lease ids as decimal strings, and reads absent kvs as none', () => {
    const answer = rangeAnswerSchema.parse({
      header,
      kvs: [{ key: 'L3NlcnZpY2UvYQ==', create_revision: '2', mod_revision: '5', version: '1', value: 'aGVsbG8=', lease: '710902710316204069' }],
      count: '1',
    });
    expect(answer).toEqual({ header: { revision: 6 }, kvs: [{ key: '/service/a', value: 'hello', modRevision: 5, lease: '710902710316204069' }] });
    expect(rangeAnswerSchema.parse({ header })).toEqual({ header: { revision: 6 }, kvs: [] });
  });

  it('a failed txn has no `succeeded`; the nested txn of a failure branch carries its range (with an empty header)', () => {
    const answer = txnAnswerSchema.parse({
      header,
      responses: [
        {
          response_txn: {
            header: {},
            responses: [{ response_range: { header: { revision: '5' }, kvs: [{ key: 'L3NlcnZpY2Uveg==', mod_revision: '5', value: 'eQ==' }], count: '1' } }],
          },
        },
      ],
    });
    expect(answer.succeeded).toBe(false);
    expect(answer.responses[0]?.response_txn?.succeeded).toBe(false);
    expect(answer.responses[0]?.response_txn?.responses[0]?.response_range?.kvs[0]).toEqual({ key: '/service/z', value: 'y', modRevision: 5, lease: '0' });
    expect(txnAnswerSchema.parse({ header, succeeded: true, responses: [{ response_put: { header: { revision: '7' } } }] }).succeeded).toBe(true);
  });

  it('a keepalive of a lease etcd no longer knows answers without TTL: 0', () => {
    expect(leaseKeepAliveAnswerSchema.parse({ result: { header, ID: '123' } }).result).toEqual({ ID: '123', TTL: 0 });
    expect(leaseKeepAliveAnswerSchema.parse({ result: { header, ID: '123', TTL: '5' } }).result.TTL).toBe(5);
  });

  it('watch lines: created, a put (no type), a delete (type DELETE, no value), a cancel for compaction', () => {
    const read = (line: string) => watchAnswerSchema.parse(JSON.parse(line)).result;
    expect(read(`{"result":{"header":${JSON.stringify(header)},"created":true}}`)).toMatchObject({ created: true, canceled: false, events: [] });
    const put = read('{"result":{"header":{"revision":"3"},"events":[{"kv":{"key":"L3NlcnZpY2UvYw==","create_revision":"3","mod_revision":"3","version":"1","value":"dg=="}}]}}');
    expect(put.events).toEqual([{ kv: { key: '/service/c', value: 'v', modRevision: 3, lease: '0' } }]);
    const deleted = read('{"result":{"header":{"revision":"4"},"events":[{"type":"DELETE","kv":{"key":"L3NlcnZpY2UvYw==","mod_revision":"4"}}]}}');
    expect(deleted.events[0]).toEqual({ type: 'DELETE', kv: { key: '/service/c', value: '', modRevision: 4, lease: '0' } });
    expect(read('{"result":{"header":{"raft_term":"2"},"canceled":true,"compact_revision":"5"}}')).toMatchObject({ canceled: true, compact_revision: 5 });
  });
});

describe('gateway errors', () => {
  const errorOf = (status: number, body: string): EtcdGatewayError | undefined => gatewayErrorOf(status, JSON.parse(body), body);
  const kindOf = (status: number, body: string) => classifyEtcdError(errorOf(status, body));

  it('the lease is gone only when etcd says "requested lease not found"', () => {
    expect(kindOf(404, '{"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5}')).toBe('lease-gone');
    expect(kindOf(404, '{"error":"etcdserver: member not found","message":"etcdserver: member not found","code":5}')).toBe('transient');
  });

  it('"no leader" is transient, as a unary answer and as a stream error line', () => {
    expect(kindOf(503, '{"error":"etcdserver: no leader","message":"etcdserver: no leader","code":14}')).toBe('transient');
    const line = errorOf(200, '{"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}}');
    expect(line).toMatchObject({ code: 14, message: 'etcdserver: no leader' });
    expect(classifyEtcdError(line)).toBe('transient');
  });

  it('refused credentials and permissions are auth (a wrong password comes as code 3); a refused token asks for a new one', () => {
    const wrongPassword = '{"error":"etcdserver: authentication failed, invalid user ID or password","message":"etcdserver: authentication failed, invalid user ID or password","code":3}';
    expect(kindOf(400, wrongPassword)).toBe('auth');
    expect(needsNewToken(errorOf(400, wrongPassword))).toBe(false);
    expect(kindOf(403, '{"error":"etcdserver: permission denied","message":"etcdserver: permission denied","code":7}')).toBe('auth');
    const badToken = '{"error":"etcdserver: invalid auth token","message":"etcdserver: invalid auth token","code":16}';
    expect(needsNewToken(errorOf(401, badToken))).toBe(true);
    expect(needsNewToken(errorOf(400, '{"error":"etcdserver: user name is empty","message":"etcdserver: user name is empty","code":3}'))).toBe(true);
  });

  it('a malformed request is invalid; etcd 3.6 bodies without `error` are read too; anything else is transient', () => {
    expect(kindOf(400, '{"error":"etcdserver: key is not provided","message":"etcdserver: key is not provided","code":3}')).toBe('invalid');
    expect(kindOf(503, '{"code":14,"message":"etcdserver: no leader","details":[]}')).toBe('transient');
    expect(errorOf(404, '{"code":5,"message":"etcdserver: requested lease not found","details":[]}')?.code).toBe(5);
    const proxy = gatewayErrorOf(502, undefined, '<html>Bad Gateway</html>');
    expect(proxy).toMatchObject({ code: undefined, httpStatus: 502 });
    expect(classifyEtcdError(proxy)).toBe('transient');
    expect(classifyEtcdError(new Error('connect ECONNREFUSED 127.0.0.1:2379'))).toBe('transient');
    expect(gatewayErrorOf(200, { header }, '')).toBeUndefined();
  });
});
