/**
 * Two switchovers back to back (A→B, then B→C as soon as B answers
 * GET /primary 200): the second one must hand over to C, not have the
 * demoting B promote itself again because C, still re-pointing its
 * replication to B, looked unfit to take over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgwardenCluster, waitUntil, type PgwardenCluster, type PgwardenMember } from '@pgwarden/testkit';
import { isInRecovery, streamsFrom, transcripts, writeTimeline } from './helpers.js';

const API_AUTH = { username: 'operator', password: 'operator-secret' };

async function switchover(from: PgwardenMember, to: PgwardenMember): Promise<{ status: number; body: string }> {
  const response = await fetch(`${from.apiBase}/switchover`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${API_AUTH.username}:${API_AUTH.password}`).toString('base64')}` },
    body: JSON.stringify({ leader: from.name, candidate: to.name }),
  });
  return { status: response.status, body: await response.text() };
}

async function answersPrimary(member: PgwardenMember): Promise<boolean> {
  return (await member.request('GET', '/primary').catch(() => ({ status: 0 }))).status === 200;
}

describe('a switchover issued straight after another one', () => {
  let cluster: PgwardenCluster;

  beforeAll(async () => {
    cluster = await startPgwardenCluster({
      size: 3,
      ttl: 20,
      loopWait: 2,
      retryTimeout: 5,
      // As operators (and the CLI tests) run it: the REST API asks for credentials.
      configure: (_name, config) => ({ ...config, restapi: { ...(config['restapi'] as object), authentication: API_AUTH } }),
    });
    await cluster.waitForLeader({ timeoutMs: 60_000 });
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 60_000 });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('hands over to the second candidate; the demoting leader never re-promotes itself', async () => {
    const a = await cluster.waitForLeader({ timeoutMs: 10_000 });
    const [b, c] = cluster.members.filter((member) => member !== a) as [PgwardenMember, PgwardenMember];

    const first = await switchover(a, b);
    expect(first.status, `${first.body}\n${transcripts(cluster.members)}`).toBe(200);
    await waitUntil(() => answersPrimary(b), { timeoutMs: 30_000, what: `${b.name} to answer /primary 200` });

    const second = await switchover(b, c);
    expect(second.status, `${second.body}\n${transcripts(cluster.members)}`).toBe(200);
    await waitUntil(async () => (await isInRecovery(c)) === false, { timeoutMs: 30_000, what: `${c.name} to be primary` });
    expect((await cluster.leader())?.name).toBe(c.name);
    expect(b.output(), transcripts(cluster.members)).not.toMatch(/only healthy member/);

    // Back to the member that has just demoted, as soon as it streams again and says so itself (what
    // an operator sees in `list` before typing the switchover; the leader asks the candidate's /patroni).
    await waitUntil(() => streamsFrom(c, b), { timeoutMs: 30_000, what: `${b.name} to stream from ${c.name}` });
    await waitUntil(async () => (await b.request('GET', '/replica').catch(() => ({ status: 0 }))).status === 200, { timeoutMs: 30_000, what: `${b.name} to answer /replica 200` });
    // A cleanly demoted primary rejoins without pg_rewind, also when it looks at the new leader mid-promotion.
    for (const member of cluster.members) expect(member.output(), transcripts(cluster.members)).not.toMatch(/running pg_rewind/);
    const third = await switchover(c, b);
    expect(third.status, `${third.body}\n${transcripts(cluster.members)}`).toBe(200);
    await waitUntil(async () => (await isInRecovery(b)) === false, { timeoutMs: 30_000, what: `${b.name} to be primary again` });
    expect((await cluster.leader())?.name).toBe(b.name);
    expect(c.output(), transcripts(cluster.members)).not.toMatch(/only healthy member/);
  }, 90_000);

  it('six switchovers in a row: each moves the timeline once; no demoting leader takes the key back', async () => {
    // A cycle's lock renewal that landed after the demotion released the key re-created it: the
    // candidate lost its race and the old primary, already restarting as a replica, promoted itself
    // back (one extra timeline, rule leader.keep-lock.promote) — 2 of 12 switchovers at loop_wait 10
    // when seen. The race is timing-bound (not reproduced here in 18 switchovers with the gate
    // removed); the runtime's unit tests pin it deterministically, this checks the whole chain.
    let leader = await cluster.waitForLeader({ timeoutMs: 30_000 });
    const before = await writeTimeline(leader);
    const outputs = cluster.members.map((member) => member.output().length);
    for (let round = 1; round <= 6; round++) {
      const candidate = cluster.members.find((member) => member !== leader) as PgwardenMember;
      await cluster.waitForStreamingReplicas(2, { timeoutMs: 60_000 });
      await waitUntil(async () => (await candidate.request('GET', '/replica').catch(() => ({ status: 0 }))).status === 200, { timeoutMs: 30_000, what: `${candidate.name} to answer /replica 200` });
      const answer = await switchover(leader, candidate);
      expect(answer.status, `${answer.body}\n${transcripts(cluster.members)}`).toBe(200);
      await waitUntil(async () => (await isInRecovery(candidate)) === false, { timeoutMs: 30_000, what: `${candidate.name} to be primary` });
      leader = candidate;
      expect(await writeTimeline(leader), `round ${round}\n${transcripts(cluster.members)}`).toBe(before + round);
    }
    cluster.members.forEach((member, index) => expect(member.output().slice(outputs[index]), transcripts(cluster.members)).not.toMatch(/leader\.keep-lock\.promote/));
    // The old leader hands the key to its candidate in the release (etcd): the candidate promotes on a
    // key it did not race for. Not every round need be (a member key rewritten at that moment makes it
    // a plain release and a race), but the chain must take that path.
    const handed = cluster.members.map((member, index) => member.output().slice(outputs[index]).match(/switchover\.handed-over\.promote/g)?.length ?? 0).reduce((a, b) => a + b, 0);
    expect(handed, transcripts(cluster.members)).toBeGreaterThan(0);
  }, 240_000);
});
