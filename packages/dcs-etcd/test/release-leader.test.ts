/**
 * releaseLeader(): our member key, `/status` and the release of the leader
 * key in one etcd txn, so that a watching replica gets the stopped member and
 * the free lock in one event (one revision), and the fallback when the lease
 * the member key lives on is gone.
 */
import { describe, expect, it } from 'vitest';
import type { EtcdDcs } from '../src/index.js';
import { gatewayPost } from './etcd-gateway.js';
import { useThreeNodeEtcd } from './etcd-harness.js';

const timings = { ttlSeconds: 3, loopWaitSeconds: 0.4, retryTimeoutSeconds: 1 };
const base64 = (text: string): string => Buffer.from(text).toString('base64');

interface RawKey {
  readonly value: string;
  readonly modRevision: number;
  readonly lease: string;
}

describe('etcd releaseLeader', () => {
  const three = useThreeNodeEtcd();
  const member = (scope: string, name: string): EtcdDcs => three.open({ scope, name, ...timings });
  const raw = async (key: string): Promise<{ kv: RawKey | undefined; revision: number }> => {
    const answer = await gatewayPost(three.etcd().endpoints[0]!, '/kv/range', { key: base64(key) });
    const kv = (answer['kvs'] as Array<{ value?: string; mod_revision: string; lease?: string }> | undefined)?.[0];
    const revision = Number((answer['header'] as { revision: string }).revision);
    return { revision, kv: kv === undefined ? undefined : { value: Buffer.from(kv.value ?? '', 'base64').toString(), modRevision: Number(kv.mod_revision), lease: kv.lease ?? '0' } };
  };

  it('the owner publishes its member key and /status and frees the lock in one request and one revision', async () => {
    const owner = member('release-one', 'node1');
    expect((await owner.acquireLeader()).kind).toBe('held');
    expect((await owner.touchMember({ state: 'running', role: 'primary' })).ok).toBe(true);
    const watcher = member('release-one', 'node2');
    expect((await watcher.getCluster()).ok).toBe(true);
    await watcher.watch(0);
    owner.resetRequestCounts();
    const outcome = await owner.releaseLeader({ lastLsn: 123456, member: { state: 'stopped', role: 'demoted' } });
    expect(outcome).toEqual({ member: { ok: true, value: undefined }, leader: { ok: true, value: undefined } });
    expect(owner.requestCounts().byOperation).toEqual({ txn: 1 });
    const memberKey = await raw('/service/release-one/members/node1');
    const status = await raw('/service/release-one/status');
    const leader = await raw('/service/release-one/leader');
    expect(leader.kv).toBeUndefined();
    expect(JSON.parse(memberKey.kv!.value)).toMatchObject({ state: 'stopped', role: 'demoted' });
    expect(memberKey.kv!.lease).not.toBe('0');
    expect(JSON.parse(status.kv!.value)).toMatchObject({ optime: 123456 });
    // One txn: both writes and the delete carry the same revision.
    expect(status.kv!.modRevision).toBe(memberKey.kv!.modRevision);
    expect(leader.revision).toBe(memberKey.kv!.modRevision);
    // The watching replica sees both at once.
    expect(await watcher.watch(2000)).toBe(true);
    const seen = await watcher.getCluster();
    expect(seen.ok && seen.value.leader).toBeUndefined();
    expect(seen.ok && seen.value.members.find((m) => m.name === 'node1')?.data.state).toBe('stopped');
  });

  it('a member that no longer owns the lock publishes its member key and leaves the lock alone', async () => {
    const old = member('release-lost', 'node1');
    const next = member('release-lost', 'node2');
    expect((await next.acquireLeader()).kind).toBe('held');
    const outcome = await old.releaseLeader({ member: { state: 'stopped', role: 'demoted' } });
    expect(outcome.member.ok).toBe(true);
    expect(outcome.leader).toMatchObject({ ok: false, reason: 'conflict' });
    expect((await raw('/service/release-lost/leader')).kv?.value).toBe('node2');
    expect(JSON.parse((await raw('/service/release-lost/members/node1')).kv!.value)).toMatchObject({ state: 'stopped' });
  });

  it('when the lease of the member key is gone, the member key goes on a new lease and the lock is still freed', async () => {
    const owner = member('release-lease', 'node1');
    expect((await owner.acquireLeader()).kind).toBe('held');
    expect((await owner.touchMember({ state: 'running', role: 'primary' })).ok).toBe(true);
    const before = await raw('/service/release-lease/members/node1');
    // Revoke the lease behind the adapter's back: the leader and member keys go with it; put the
    // leader key back as ours (no lease) so that there is a lock to release.
    await gatewayPost(three.etcd().endpoints[0]!, '/lease/revoke', { ID: before.kv!.lease });
    await gatewayPost(three.etcd().endpoints[0]!, '/kv/put', { key: base64('/service/release-lease/leader'), value: base64('node1') });
    owner.resetRequestCounts();
    const outcome = await owner.releaseLeader({ lastLsn: 42, member: { state: 'stopped', role: 'demoted' } });
    // The one txn was refused (lease not found); the sequential path took a new lease.
    expect(owner.requestCounts().byOperation).toMatchObject({ txn: 2, 'lease-grant': 1 });
    expect(outcome.member.ok).toBe(true);
    expect(outcome.leader.ok).toBe(true);
    const after = await raw('/service/release-lease/members/node1');
    expect(JSON.parse(after.kv!.value)).toMatchObject({ state: 'stopped' });
    expect(after.kv!.lease).not.toBe(before.kv!.lease);
    expect((await raw('/service/release-lease/leader')).kv).toBeUndefined();
  });
});
