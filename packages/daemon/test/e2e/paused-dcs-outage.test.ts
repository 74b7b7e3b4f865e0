/**
 * etcd stopped for twice the ttl while the cluster is paused — what an
 * operator does to upgrade the DCS. Patroni disarms the watchdog in pause;
 * pgwarden keeps it armed (a paused primary whose agent froze must not stay
 * writable beside a member promoted after the resume, see core's README), so
 * once the lock ran out the device used to fire: a real one resets the
 * primary's machine, the outage the pause was meant to avoid. With
 * failsafe_mode the paused primary runs the failsafe round when its lock
 * runs out, every member answers, and that round feeds the device: nothing
 * fires, the primary takes writes throughout, and after etcd is back and the
 * cluster resumed it still leads.
 *
 * Each member's `watchdog.device` is a FUSE file that behaves as a Linux
 * watchdog (testkit's `startEmulatedWatchdog`), mode `required`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canEmulateWatchdog, postgresUser, startEmulatedWatchdog, startEtcd, startPgwardenCluster, waitUntil, type EmulatedWatchdog, type EtcdCluster, type PgwardenCluster } from '@pgwarden/testkit';
import { query, transcripts, waitForFailsafeList, writablePrimaries } from './helpers.js';

const TTL = 20;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!canEmulateWatchdog())('etcd stopped for 2×ttl while paused, failsafe_mode, watchdog required (FUSE device)', () => {
  let etcd: EtcdCluster;
  let cluster: PgwardenCluster;
  const devices = new Map<string, EmulatedWatchdog>();
  const describeDevices = (): string => [...devices].map(([name, dev]) => `${name}: ${dev.events.map((event) => event.kind).join(' ')}`).join('\n');

  beforeAll(async () => {
    const user = postgresUser();
    for (const name of ['node1', 'node2', 'node3']) devices.set(name, await startEmulatedWatchdog({ minTimeoutSeconds: 1, uid: user.uid, gid: user.gid }));
    etcd = await startEtcd({ size: 1 });
    cluster = await startPgwardenCluster({
      size: 3,
      etcd,
      ttl: TTL,
      loopWait: 2,
      retryTimeout: 5,
      configure: (name, config) => ({ ...config, watchdog: { mode: 'required', device: devices.get(name)!.path, safety_margin: 5 } }),
    });
    await cluster.waitForLeader({ timeoutMs: 120_000 });
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 120_000 });
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop();
    await etcd?.stop();
    for (const dev of devices.values()) await dev.stop();
  }, 120_000);

  it('the paused primary takes writes through the outage, its device never fires, and it still leads after the resume', async () => {
    const leader = await cluster.waitForLeader();
    const device = devices.get(leader.name)!;
    const patched = await leader.request('PATCH', '/config', { failsafe_mode: true, pause: true });
    expect(patched.status, patched.body).toBe(200);
    await waitForFailsafeList(leader, 3);
    await waitUntil(async () => {
      const states = await Promise.all(cluster.members.map(async (member) => (await member.status())?.['pause'] === true));
      return states.every(Boolean);
    }, { timeoutMs: 30_000, intervalMs: 250, what: 'every member to report the pause' });
    const fedBefore = device.events.filter((event) => event.kind === 'keepalive').length;
    expect(fedBefore, describeDevices()).toBeGreaterThan(0);

    const node = etcd.nodes[0]!;
    await node.stop();
    const stoppedAt = Date.now();
    try {
      // The fault happened: etcd is gone and the leader says it cannot reach it.
      expect(node.running()).toBe(false);
      await waitUntil(() => (/DCS is not accessible/.test(leader.output()) ? true : undefined), { timeoutMs: 30_000, intervalMs: 250, what: () => `${leader.name} to report the DCS unreachable\n${transcripts([leader], 20)}` });
      let lastWriteAt = 0;
      while (Date.now() - stoppedAt < 2 * TTL * 1000) {
        const writable = await writablePrimaries(cluster);
        expect(writable.map((member) => member.name), `${describeDevices()}\n${transcripts(cluster.members, 20)}`).toEqual([leader.name]);
        await query(leader, 'CREATE TABLE IF NOT EXISTS paused_outage (at bigint); INSERT INTO paused_outage VALUES (extract(epoch from now()))');
        lastWriteAt = Date.now();
        await sleep(1000);
      }
      // Taken past the point where the lock it renewed last ran out (ttl after the outage began).
      expect(lastWriteAt - stoppedAt).toBeGreaterThan(TTL * 1000);
    } finally {
      await node.start();
    }
    const context = `${describeDevices()}\n${transcripts(cluster.members, 30)}`;
    // Past the lock's validity the failsafe round kept it going, and fed the device.
    expect(leader.output(), context).toMatch(/PAUSE: continue to run as a leader because failsafe mode is enabled and all members are accessible/);
    const fedInOutage = device.events.filter((event) => event.kind === 'keepalive' && event.at > stoppedAt + TTL * 1000);
    expect(fedInOutage.length, context).toBeGreaterThan(0);
    for (const dev of devices.values()) expect(dev.events.some((event) => event.kind === 'fired' || event.kind === 'close-without-magic'), context).toBe(false);

    const resumed = await leader.request('PATCH', '/config', { pause: false });
    expect(resumed.status, resumed.body).toBe(200);
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 90_000 });
    await sleep(3000);
    expect((await cluster.waitForLeader()).name, transcripts(cluster.members, 30)).toBe(leader.name);
    expect((await writablePrimaries(cluster)).map((member) => member.name)).toEqual([leader.name]);
    for (const dev of devices.values()) expect(dev.events.some((event) => event.kind === 'fired'), describeDevices()).toBe(false);
  }, 240_000);
});
