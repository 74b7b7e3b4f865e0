/**
 * The named deployment modes, enforced: `replicated` without wait_replicas
 * is refused at construction; `standalone` on a server that has a replica is
 * refused at run time (unreachable, with the reason); `replicated` counts a
 * lock write only once WAIT saw the replicas take it — a frozen replica makes
 * the renewal unreachable, never held.
 */
import { PgwardenError } from '@pgwarden/core';
import { startRedis, type RedisServer } from '@pgwarden/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisDcs } from '../src/index.js';
import { openOn, rawClient } from './redis-harness.js';

describe('deployment modes on a real primary with one replica', () => {
  let primary: RedisServer;
  let replica: RedisServer;
  const opened: RedisDcs[] = [];
  beforeAll(async () => {
    primary = await startRedis();
    replica = await startRedis({ extraArguments: ['--replicaof', primary.host, String(primary.port)] });
    const raw = rawClient(primary);
    try {
      for (let attempt = 0; attempt < 100 && !/state=online/.test(await raw.info('replication')); attempt++) await new Promise((r) => setTimeout(r, 100));
      expect(await raw.info('replication')).toMatch(/state=online/);
    } finally {
      raw.disconnect();
    }
  });
  afterAll(async () => {
    replica?.thaw();
    await Promise.all(opened.map((dcs) => dcs.close()));
    await replica?.destroy();
    await primary?.destroy();
  });

  it('mode replicated without wait_replicas is refused by name', () => {
    const build = (): RedisDcs => new RedisDcs({ host: `127.0.0.1:${primary.port}`, mode: 'replicated', scope: 's', name: 'n' });
    expect(build).toThrow(PgwardenError);
    expect(build).toThrow(/wait_replicas/);
    expect(() => new RedisDcs({ hosts: ['a:1', 'b:2'], scope: 's', name: 'n' })).toThrow(/sentinels/);
  });

  it('mode standalone on a primary that has a replica: operations are unreachable and say why', async () => {
    const dcs = openOn(primary, { scope: 'standalone', name: 'node1' });
    opened.push(dcs);
    const outcome = await dcs.acquireLeader();
    expect(outcome.kind).toBe('unreachable');
    if (outcome.kind === 'unreachable') expect(outcome.message).toMatch(/standalone.*replica/);
    const raw = rawClient(primary);
    try {
      expect(await raw.exists('/service/standalone/leader')).toBe(0);
    } finally {
      raw.disconnect();
    }
  });

  // wait_timeout 1.5 s (retry_timeout is 2 s here): on a loaded machine (CI on 2 cores) the
  // replica's acknowledgement of WAIT took longer than 0.5 s once, and the first acquire came
  // back unreachable.
  it('mode replicated: held once the replica has the write; with the replica frozen the renewal is unreachable', async () => {
    const dcs = openOn(primary, { scope: 'replicated', name: 'node1', mode: 'replicated', wait_replicas: 1, wait_timeout: 1.5 });
    opened.push(dcs);
    expect(await dcs.acquireLeader()).toMatchObject({ kind: 'held' });
    const onReplica = rawClient(replica);
    try {
      expect(await onReplica.hget('/service/replicated/leader', 'value')).toBe('node1');
    } finally {
      onReplica.disconnect();
    }
    replica.freeze();
    try {
      const outcome = await dcs.updateLeader({});
      expect(outcome.kind).toBe('unreachable');
      if (outcome.kind === 'unreachable') expect(outcome.message).toMatch(/0 of 1 replicas/);
    } finally {
      replica.thaw();
    }
    let again = await dcs.updateLeader({});
    for (let attempt = 0; attempt < 20 && again.kind !== 'held'; attempt++) again = await dcs.updateLeader({});
    expect(again.kind).toBe('held');
  });

  it('mode replicated with more wait_replicas than the primary has: unreachable, naming the shortfall', async () => {
    const dcs = openOn(primary, { scope: 'short', name: 'node1', mode: 'replicated', wait_replicas: 2, wait_timeout: 0.5 });
    opened.push(dcs);
    const outcome = await dcs.acquireLeader();
    expect(outcome.kind).toBe('unreachable');
    if (outcome.kind === 'unreachable') expect(outcome.message).toMatch(/wait_replicas is 2/);
  });
});
