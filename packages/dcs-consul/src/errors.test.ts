import { describe, expect, it } from 'vitest';
import { classifyAnswer } from './errors.js';

describe('classifying Consul answers', () => {
  it.each([
    [200, 'true', 'ok'],
    [404, '', 'not-found'],
    [404, "Session id 'x' not found", 'not-found'],
    [500, 'invalid session "abc"', 'invalid-session'],
    [500, 'Invalid Session TTL \'1000000000\', must be between [10s=24h0m0s]', 'invalid-session-ttl'],
    [403, 'Permission denied', 'forbidden'],
    [500, 'rpc error making call: No cluster leader', 'transient'],
    [503, '', 'transient'],
    [429, 'rate limited', 'transient'],
    [400, 'Invalid wait time', 'bad-request'],
  ] as const)('HTTP %i %j is %s', (status, body, kind) => {
    expect(classifyAnswer({ status, body })).toBe(kind);
  });
});
