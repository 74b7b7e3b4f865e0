/**
 * A three-member pgwarden cluster on Redis (the `redis` section instead of
 * `etcd3`, one redis-server started by the test on its own port): it
 * bootstraps, switches over, fails over by itself after its leader is
 * SIGKILLed, and with failsafe_mode keeps its primary while the Redis server
 * is frozen (SIGSTOP) for longer than ttl. Failover time is printed, not
 * asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processState, startPgwardenCluster, startRedis, waitUntil, type PgwardenCluster, type RedisServer } from '@pgwarden/testkit';
import { isInRecovery, transcripts, waitForFailsafeList, writablePrimaries } from './helpers.js';

// Patroni's (and pgwarden's) smallest accepted ttl: a lower bootstrap value would be raised to it.
// PGWARDEN_REDIS_E2E_TTL=30 measures the failover with the default ttl.
const ttlSeconds = Number(process.env['PGWARDEN_REDIS_E2E_TTL'] ?? 20);
const measurements: Record<string, number> = {};

describe('a pgwarden cluster on a Redis DCS', () => {
  let redis: RedisServer;
  let cluster: PgwardenCluster;

  beforeAll(async () => {
    redis = await startRedis();
    cluster = await startPgwardenCluster({
      size: 3,
      ttl: ttlSeconds,
      loopWait: 2,
      retryTimeout: 5,
      withoutEtcd: true,
      configure: (_name, config) => {
        const { etcd3: _etcd3, ...rest } = config;
        return { ...rest, redis: { host: `${redis.host}:${redis.port}` } };
      },
    });
  }, 60_000);

  afterAll(async () => {
    redis?.thaw();
    await cluster?.stop();
    await redis?.destroy();
    process.stdout.write(`redis e2e measurements: ${JSON.stringify(measurements)}\n`);
  }, 120_000);

  it('bootstraps: one leader, two streaming replicas, leader key in Redis', async () => {
    const leader = await cluster.waitForLeader({ timeoutMs: 90_000 });
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 90_000 });
    const cli = await import('ioredis');
    const raw = new cli.Redis({ host: redis.host, port: redis.port });
    try {
      expect(await raw.hget(`/service/${cluster.scope}/leader`, 'value')).toBe(leader.name);
    } finally {
      raw.disconnect();
    }
  }, 120_000);

  it('switches over to the named candidate', async () => {
    const oldLeader = await cluster.waitForLeader();
    const candidate = cluster.members.find((member) => member !== oldLeader)!;
    const answer = await oldLeader.request('POST', '/switchover', { leader: oldLeader.name, candidate: candidate.name });
    expect(answer.status, `${answer.body}\n${transcripts(cluster.members)}`).toBe(200);
    await waitUntil(async () => (await isInRecovery(candidate)) === false, { timeoutMs: 60_000, what: 'the candidate to be primary' });
    expect((await cluster.waitForLeader()).name).toBe(candidate.name);
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 60_000 });
  }, 120_000);

  it('fails over by itself when the leader agent and its postmaster are SIGKILLed', async () => {
    const oldLeader = await cluster.waitForLeader();
    const startedAt = Date.now();
    await oldLeader.kill();
    await oldLeader.killPostmaster('SIGKILL');
    const newLeader = await cluster.waitForLeader({ exclude: oldLeader.name, timeoutMs: 60_000 });
    await waitUntil(async () => (await isInRecovery(newLeader)) === false, { timeoutMs: 30_000, what: 'a writable new primary' });
    measurements[`sigkillFailoverTtl${ttlSeconds}Ms`] = Date.now() - startedAt;
    expect(newLeader.name).not.toBe(oldLeader.name);
    await oldLeader.start();
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 90_000 });
  }, 180_000);

  it('with failsafe_mode, the primary keeps running while Redis is frozen for longer than ttl', async () => {
    const leader = await cluster.waitForLeader();
    const patched = await leader.request('PATCH', '/config', { failsafe_mode: true });
    expect(patched.status, patched.body).toBe(200);
    await waitForFailsafeList(leader, 3);
    const pid = redis.pid()!;
    redis.freeze();
    try {
      await waitUntil(() => processState(pid) === 'T', { timeoutMs: 5000, intervalMs: 20, what: `redis-server ${pid} stopped by SIGSTOP` });
      const until = Date.now() + ttlSeconds * 1000 + 8000;
      while (Date.now() < until) {
        const writable = await writablePrimaries(cluster);
        expect(writable.map((member) => member.name), transcripts(cluster.members, 15)).toEqual([leader.name]);
        expect((await leader.request('GET', '/primary')).status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      // The agents did see the outage (they logged failed Redis operations), not a quiet period.
      expect(cluster.members.some((member) => /redis operation failed|unreachable|failsafe/i.test(member.output()))).toBe(true);
    } finally {
      redis.thaw();
    }
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 90_000 });
    expect((await cluster.waitForLeader()).name).toBe(leader.name);
  }, 180_000);
});
