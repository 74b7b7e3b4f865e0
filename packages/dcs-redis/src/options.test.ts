import { PgwardenError } from '@pgwarden/core';
import { describe, expect, it } from 'vitest';
import { parseRedisSettings, toIoredisOptions, waitPolicy } from './options.js';
import { topologyProblem } from './connection.js';

const identity = { scope: 'demo', name: 'node1' };

describe('redis settings', () => {
  it('a url gives host, port, db, ACL user and password; rediss:// turns TLS on', () => {
    const options = toIoredisOptions(parseRedisSettings({ ...identity, url: 'rediss://ops:s%40cret@10.0.0.5:6380/2' }));
    expect(options).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2, username: 'ops', password: 's@cret', tls: {}, enableOfflineQueue: false, autoResendUnfulfilledCommands: false });
  });

  it('host without a port defaults to 6379; explicit fields win over the url', () => {
    expect(toIoredisOptions(parseRedisSettings({ ...identity, host: 'redis.local' }))).toMatchObject({ host: 'redis.local', port: 6379, db: 0 });
    expect(toIoredisOptions(parseRedisSettings({ ...identity, url: 'redis://a:1/3', db: 5, password: 'p' }))).toMatchObject({ db: 5, password: 'p' });
  });

  it('sentinels and sentinel_master map to ioredis Sentinel options (replicated mode)', () => {
    const settings = parseRedisSettings({ ...identity, mode: 'replicated', wait_replicas: 1, sentinels: '10.0.0.1,10.0.0.2:26380', sentinel_master: 'pg' });
    expect(toIoredisOptions(settings)).toMatchObject({ sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26380 }], name: 'pg', role: 'master' });
    expect(waitPolicy(settings)).toEqual({ replicas: 1, timeoutMs: 1000 });
  });

  it.each([
    [{ mode: 'replicated', host: 'h' }, /requires wait_replicas/],
    [{ host: 'h', wait_replicas: 1 }, /only valid with mode: replicated/],
    [{ sentinels: ['s:1'], sentinel_master: 'm' }, /mode is standalone/],
    [{ mode: 'replicated', wait_replicas: 1, sentinels: ['s:1'] }, /go together/],
    [{ hosts: ['a', 'b'] }, /sentinels/],
    [{}, /one of host, hosts, url or sentinels/],
    [{ mode: 'replicated', host: 'h', wait_replicas: 1, wait_timeout: 10 }, /below retry_timeout/],
    [{ url: 'http://h:1' }, /redis:\/\//],
  ])('refuses %j by name', (input, message) => {
    const build = (): unknown => toIoredisOptions(parseRedisSettings({ ...identity, ...input }));
    expect(build).toThrow(PgwardenError);
    expect(build).toThrow(message);
  });

  it('a server with replicas contradicts standalone; replicated counts only online replicas', () => {
    const info = 'role:master\nconnected_slaves:1\nslave0:ip=127.0.0.1,port=1,state=wait_bgsave,offset=0,lag=0\n';
    expect(topologyProblem(info, 'standalone', undefined)).toMatch(/standalone/);
    expect(topologyProblem(info, 'replicated', { replicas: 1, timeoutMs: 500 })).toMatch(/0 replica\(s\) online/);
    expect(topologyProblem(info.replace('wait_bgsave', 'online'), 'replicated', { replicas: 1, timeoutMs: 500 })).toBeUndefined();
    expect(topologyProblem('role:slave\n', 'standalone', undefined)).toMatch(/not a primary/);
    expect(topologyProblem('role:master\nconnected_slaves:0\n', 'standalone', undefined)).toBeUndefined();
  });
});
