/**
 * releaseLeader(): our member key, `/status` and the release of the leader
 * key in one etcd txn, so that a watching replica gets the stopped member and
 * the free lock in one event (one revision), and the fallback when the lease
 * the member key lives on is gone. With `handOverTo` (a switchover's
 * candidate) the same txn puts the key on the candidate's lease instead.
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

  it('hand-over: the key goes to the candidate on the lease its member key is on, in the one txn; the candidate renews it with its keepalive alone', async () => {
    const owner = member('handover', 'node1');
    const candidate = member('handover', 'node2');
    expect((await owner.acquireLeader()).kind).toBe('held');
    expect((await candidate.touchMember({ state: 'running', role: 'replica' })).ok).toBe(true);
    // The hand-over needs the candidate's member key (and its lease) in the owner's watch cache.
    const seesCandidate = async (): Promise<boolean> => {
      const read = await owner.getCluster();
      return read.ok && read.value.members.some((m) => m.name === 'node2');
    };
    for (let attempt = 0; attempt < 50 && !(await seesCandidate()); attempt += 1) await owner.watch(100);
    expect(await seesCandidate()).toBe(true);
    const candidateKey = await raw('/service/handover/members/node2');
    expect((await candidate.getCluster()).ok).toBe(true);
    await candidate.watch(0);
    owner.resetRequestCounts();
    const outcome = await owner.releaseLeader({ lastLsn: 777, member: { state: 'stopped', role: 'demoted' }, handOverTo: 'node2' });
    expect(outcome).toEqual({ member: { ok: true, value: undefined }, leader: { ok: true, value: undefined }, handedOver: true });
    expect(owner.requestCounts().byOperation).toEqual({ txn: 1 });
    const leader = await raw('/service/handover/leader');
    expect(leader.kv).toMatchObject({ value: 'node2', lease: candidateKey.kv!.lease });
    expect(JSON.parse((await raw('/service/handover/status')).kv!.value)).toMatchObject({ optime: 777 });
    expect(JSON.parse((await raw('/service/handover/members/node1')).kv!.value)).toMatchObject({ state: 'stopped' });
    // The candidate is woken, sees itself as the holder, and its renewal is a keepalive: no key write.
    expect(await candidate.watch(2000)).toBe(true);
    const seen = await candidate.getCluster();
    expect(seen.ok && seen.value.leader?.name).toBe('node2');
    candidate.resetRequestCounts();
    expect((await candidate.updateLeader({})).kind).toBe('held');
    expect(candidate.requestCounts().byOperation).toEqual({ 'lease-keepalive': 1 });
    expect((await raw('/service/handover/leader')).kv!.modRevision).toBe(leader.kv!.modRevision);
  });

  it('hand-over to a candidate whose member key was rewritten after the owner read it: the plain release, in the same request', async () => {
    const owner = member('handover-moved', 'node1');
    const candidate = member('handover-moved', 'node2');
    expect((await owner.acquireLeader()).kind).toBe('held');
    expect((await candidate.touchMember({ state: 'running', role: 'replica' })).ok).toBe(true);
    expect((await owner.getCluster()).ok).toBe(true);
    await gatewayPost(three.etcd().endpoints[0]!, '/kv/put', { key: base64('/service/handover-moved/members/node2'), value: base64('{"state":"running","role":"replica","x":1}') });
    owner.resetRequestCounts();
    // Whether or not the owner's watch has delivered the rewrite (the guard on its mod_revision fails, or
    // the key is on no lease), the key is released, never put on a lease that is not the candidate's.
    const outcome = await owner.releaseLeader({ member: { state: 'stopped', role: 'demoted' }, handOverTo: 'node2' });
    expect(outcome).toEqual({ member: { ok: true, value: undefined }, leader: { ok: true, value: undefined } });
    expect(owner.requestCounts().byOperation).toEqual({ txn: 1 });
    expect((await raw('/service/handover-moved/leader')).kv).toBeUndefined();
  });

  it('hand-over by a member that no longer owns the lock: nothing moves, the conflict is reported', async () => {
    const old = member('handover-lost', 'node1');
    const next = member('handover-lost', 'node3');
    const candidate = member('handover-lost', 'node2');
    expect((await candidate.touchMember({ state: 'running', role: 'replica' })).ok).toBe(true);
    expect((await next.acquireLeader()).kind).toBe('held');
    expect((await old.getCluster()).ok).toBe(true);
    const outcome = await old.releaseLeader({ member: { state: 'stopped', role: 'demoted' }, handOverTo: 'node2' });
    expect(outcome.leader).toMatchObject({ ok: false, reason: 'conflict' });
    expect(outcome.handedOver).toBeUndefined();
    expect((await raw('/service/handover-lost/leader')).kv?.value).toBe('node3');
  });
});
