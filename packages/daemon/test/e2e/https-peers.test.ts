/**
 * A cluster whose REST API is HTTPS on a private CA with
 * `verify_client: required`: the members must call each other with the CA
 * (`restapi.cafile`) and a client certificate (`restapi.certfile`), as
 * Patroni's own client does. Without that every peer looks unreachable: the
 * failsafe check can never confirm the primary, and the leader race ignores
 * better candidates. Failsafe mode keeps the primary through a DCS outage
 * (every member confirmed it over mutual TLS), then the cluster fails over
 * by itself when the primary's agent and postmaster are killed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificates, startPgwardenCluster, waitUntil, type PgwardenCluster, type TestCertificates } from '@pgwarden/testkit';
import { transcripts, waitForFailsafeList, writablePrimaries } from './helpers.js';

const ttlSeconds = 20;

describe('REST API over HTTPS with verify_client: required on a private CA', () => {
  let certificates: TestCertificates;
  let cluster: PgwardenCluster;

  beforeAll(async () => {
    certificates = makeTestCertificates();
    cluster = await startPgwardenCluster({
      size: 3,
      ttl: ttlSeconds,
      loopWait: 2,
      retryTimeout: 5,
      dcs: { failsafe_mode: true },
      restApiTls: { certFile: certificates.serverCertFile, keyFile: certificates.serverKeyFile, caFile: certificates.caFile, verifyClient: 'required' },
    });
    const leader = await cluster.waitForLeader({ timeoutMs: 90_000 });
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 90_000 });
    await waitForFailsafeList(leader, 3);
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    certificates?.dir.remove();
  }, 120_000);

  it('keeps the primary through a DCS outage longer than ttl: every member confirms it over mutual TLS', async () => {
    const leader = await cluster.waitForLeader();
    const logBefore = leader.output().length;
    const etcd = cluster.etcd.nodes[0]!;
    await etcd.stop();
    try {
      const until = Date.now() + ttlSeconds * 1000 + 10_000;
      while (Date.now() < until) {
        expect((await writablePrimaries(cluster)).map((member) => member.name), transcripts(cluster.members, 15)).toEqual([leader.name]);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    } finally {
      await etcd.start();
    }
    const during = leader.output().slice(logBefore);
    // The outage happened, and the primary stayed because its peers answered POST /failsafe.
    expect(during, transcripts(cluster.members, 20)).toMatch(/DCS is not accessible|DCS unreachable/);
    expect(during, transcripts(cluster.members, 20)).toMatch(/failsafe mode is enabled and all members are accessible/);
    expect(during).not.toMatch(/ROLE CHANGE: primary ->/);
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 90_000 });
    expect((await cluster.waitForLeader()).name).toBe(leader.name);
  }, 180_000);

  it('fails over by itself when the primary dies (agent and postmaster SIGKILLed)', async () => {
    const leader = await cluster.waitForLeader();
    await leader.kill();
    const pid = await leader.killPostmaster('SIGKILL');
    expect(leader.running()).toBe(false);
    expect(pid).toBeDefined();
    const next = await cluster.waitForLeader({ timeoutMs: (ttlSeconds + 30) * 1000, exclude: leader.name });
    expect(next.name).not.toBe(leader.name);
    await waitUntil(async () => ((await writablePrimaries(cluster)).length === 1 ? true : undefined), { timeoutMs: 30_000, what: 'one writable primary' });
    expect((await writablePrimaries(cluster)).map((member) => member.name)).toEqual([next.name]);
    // The race asked the peers over mutual TLS: the loser saw the winner's status.
    const loser = cluster.members.find((member) => member !== leader && member !== next)!;
    expect(loser.output(), transcripts(cluster.members, 20)).not.toMatch(/certificate|self.signed|UNABLE_TO_VERIFY/i);
  }, 180_000);
});
