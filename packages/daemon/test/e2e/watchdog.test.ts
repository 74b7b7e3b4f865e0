/**
 * The watchdog on a device the kernel serves: each member's `watchdog.device`
 * is a FUSE file that behaves as a Linux watchdog (testkit's
 * `startEmulatedWatchdog`; this machine has no /dev/watchdog and no softdog),
 * so the agent's open, WDIOC_SETTIMEOUT / WDIOC_GETTIMEOUT (through its perl
 * child, on the agent's own descriptor), feeding writes and magic close go
 * through the kernel as they would on a real device. `mode: required`.
 *
 * - the leader sets the device's timeout to ttl − safety_margin, reads it
 *   back and feeds it every cycle; replicas leave their devices closed;
 * - a member whose device cannot be set that low (the driver refuses timeouts
 *   under 60 s) never runs as primary: a switchover to it fails at its
 *   activation, once, and another member leads (Patroni would keep retaking
 *   the key as the named candidate, with no primary anywhere);
 * - a frozen agent (SIGSTOP, PostgreSQL keeps running as primary): the device
 *   fires while the leader key is still the frozen member's, i.e. a real
 *   device resets the machine before a replica can take over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canEmulateWatchdog, postgresUser, processState, startEmulatedWatchdog, startEtcd, startPgwardenCluster, waitUntil, type EmulatedWatchdog, type EtcdCluster, type PgwardenCluster, type PgwardenMember } from '@pgwarden/testkit';
import { isInRecovery, leaderKey, query, transcripts } from './helpers.js';

interface Profile {
  readonly label: string;
  readonly ttl: number;
  readonly loopWait: number;
  readonly retryTimeout: number;
  readonly safetyMargin: number;
  /** What the device must be set to: ttl − safety_margin, the margin capped at ttl/2 as the lock's validity caps it, whole seconds. */
  readonly deviceTimeout: number;
}

const profiles: readonly Profile[] = [
  { label: 'ttl 20, loop_wait 2', ttl: 20, loopWait: 2, retryTimeout: 5, safetyMargin: 5, deviceTimeout: 15 },
  { label: 'fast profile: ttl 5, loop_wait 1, retry_timeout 1', ttl: 5, loopWait: 1, retryTimeout: 1, safetyMargin: 5, deviceTimeout: 2 },
];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The member of `members` that leads with a writable PostgreSQL. GET /primary alone is not enough:
 * as Patroni's, it answers 200 from the moment the key is won, before the promotion (or, for a
 * member whose watchdog then fails, before it gives the key back).
 */
async function leading(members: readonly PgwardenMember[]): Promise<PgwardenMember | undefined> {
  for (const member of members) {
    if ((await member.request('GET', '/primary').catch(() => undefined))?.status === 200 && (await isInRecovery(member)) === false) return member;
  }
  return undefined;
}

for (const profile of profiles) {
  const { ttl: TTL, deviceTimeout: DEVICE_TIMEOUT } = profile;
  describe.skipIf(!canEmulateWatchdog())(`watchdog: required, on a device served through the kernel (FUSE), ${profile.label}`, () => {
    let etcd: EtcdCluster;
    let cluster: PgwardenCluster;
    const devices = new Map<string, EmulatedWatchdog>();
    const device = (member: PgwardenMember): EmulatedWatchdog => devices.get(member.name)!;
    const describeDevices = (): string => [...devices].map(([name, dev]) => `${name}: ${dev.events.map((event) => `${event.kind}${event.timeoutSeconds === undefined ? '' : `(${event.timeoutSeconds})`}`).join(' ')}`).join('\n');

    beforeAll(async () => {
      const user = postgresUser();
      // node3's driver cannot go below 60 s, longer than the timeout every profile needs.
      for (const [name, minTimeoutSeconds] of [['node1', 1], ['node2', 1], ['node3', 60]] as const) {
        devices.set(name, await startEmulatedWatchdog({ minTimeoutSeconds, uid: user.uid, gid: user.gid }));
      }
      etcd = await startEtcd({ size: 1 });
      cluster = await startPgwardenCluster({
        size: 3,
        etcd,
        ttl: profile.ttl,
        loopWait: profile.loopWait,
        retryTimeout: profile.retryTimeout,
        start: 'none',
        configure: (name, config) => ({ ...config, watchdog: { mode: 'required', device: devices.get(name)!.path, safety_margin: profile.safetyMargin } }),
      });
      // node1 bootstraps alone (node3 could not run as primary), then the others join.
      await cluster.member('node1').start();
      await cluster.waitForLeader({ timeoutMs: 120_000 });
      await Promise.all([cluster.member('node2').start(), cluster.member('node3').start()]);
      await cluster.waitForStreamingReplicas(2, { timeoutMs: 120_000 });
    }, 240_000);

    afterAll(async () => {
      for (const member of cluster?.members ?? []) {
        const pid = member.agentPid();
        if (pid !== undefined && processState(pid) === 'T') process.kill(pid, 'SIGCONT');
      }
      await cluster?.stop();
      await etcd?.stop();
      for (const dev of devices.values()) await dev.stop();
    }, 120_000);

    it('the leader sets the timeout to ttl − safety_margin through the ioctl, reads it back and feeds the device each cycle; replicas leave theirs closed', async () => {
      const leader = await cluster.waitForLeader({ timeoutMs: 10_000 });
      expect(leader.name).toBe('node1');
      await sleep(6000);
      const events = device(leader).events;
      const context = `${describeDevices()}\n${transcripts(cluster.members, 20)}`;
      const opened = events.find((event) => event.kind === 'open');
      expect(opened?.pid, context).toBe(leader.agentPid());
      expect(events.find((event) => event.kind === 'set-timeout')?.timeoutSeconds, context).toBe(DEVICE_TIMEOUT);
      expect(events.find((event) => event.kind === 'get-timeout')?.timeoutSeconds, context).toBe(DEVICE_TIMEOUT);
      const recentFeeds = events.filter((event) => event.kind === 'keepalive' && event.at > Date.now() - 6000);
      expect(recentFeeds.length, context).toBeGreaterThanOrEqual(2);
      expect(events.some((event) => event.kind === 'fired' || event.kind === 'close-without-magic'), context).toBe(false);
      expect(leader.output()).toMatch(new RegExp(`"timeoutSeconds":${DEVICE_TIMEOUT},"set":true[^\\n]*"msg":"watchdog activated"`));
      for (const name of ['node2', 'node3']) expect(devices.get(name)!.events, context).toEqual([]);
    });

    it('a member whose device cannot be set to ttl − safety_margin never runs as primary: a switchover to it ends with another leader, and it stays out', async () => {
      const leader = await cluster.waitForLeader({ timeoutMs: 60_000 });
      await cluster.waitForStreamingReplicas(2, { timeoutMs: 60_000 });
      const node3 = cluster.member('node3');
      const answer = await leader.request('POST', '/switchover', { leader: leader.name, candidate: node3.name });
      expect(answer.status, answer.body).toBeLessThan(500);
      await waitUntil(() => (devices.get('node3')!.events.some((event) => event.kind === 'set-timeout-refused') ? true : undefined), { timeoutMs: 60_000, intervalMs: 100, what: 'node3 to try its device' });
      const newLeader = await waitUntil(() => leading(cluster.members), { timeoutMs: 60_000, intervalMs: 100, what: 'a writable leader after the refused switchover' });
      await sleep(3 * profile.loopWait * 1000);
      const context = `${describeDevices()}\n${transcripts(cluster.members, 30)}`;
      expect(newLeader.name, context).toBe('node2');
      expect(await isInRecovery(node3), context).toBe(true);
      expect(node3.output(), context).toMatch(/Not promoting self because watchdog could not be activated/);
      // Tried once: from then on it reports watchdog_failed and takes no part in a race.
      expect(devices.get('node3')!.events.filter((event) => event.kind === 'set-timeout-refused').length, context).toBe(1);
      expect((await node3.status())?.['watchdog_failed'], context).toBe(true);
      // Its device was left as found: every open closed with the magic character, never fed as a primary's.
      const node3Events = devices.get('node3')!.events;
      expect(node3Events.filter((event) => event.kind === 'open').length, context).toBe(node3Events.filter((event) => event.kind === 'magic-close').length);
      expect(node3Events.some((event) => event.kind === 'fired' || event.kind === 'close-without-magic' || event.kind === 'keepalive'), context).toBe(false);
      // The old leader handed over cleanly: its device closed with the magic character.
      expect(device(leader).events.at(-1)?.kind, context).toBe('magic-close');
      await query(newLeader, 'SELECT 1');
      // A switchover to it now is refused by the API: no good candidate.
      const again = await newLeader.request('POST', '/switchover', { leader: newLeader.name, candidate: node3.name });
      expect(again.status, again.body).toBe(412);
      expect(again.body).toMatch(/no good candidates/);
    }, 180_000);

    it('a frozen agent: its device fires while the leader key is still its own (a real device resets the machine before anyone takes over)', async () => {
      await cluster.waitForStreamingReplicas(2, { timeoutMs: 60_000 });
      const leader = await cluster.waitForLeader({ timeoutMs: 10_000 });
      const others = cluster.members.filter((member) => member !== leader);
      const pid = leader.agentPid()!;
      const dev = device(leader);
      const firedBefore = dev.events.filter((event) => event.kind === 'fired').length;
      process.kill(pid, 'SIGSTOP');
      let keyGoneAt: number | undefined;
      let successor: PgwardenMember | undefined;
      try {
        // The fault happened: the agent is stopped, its PostgreSQL still runs as primary.
        await waitUntil(() => processState(pid) === 'T', { timeoutMs: 5000, intervalMs: 20, what: `agent ${pid} stopped` });
        expect(await isInRecovery(leader)).toBe(false);
        await waitUntil(
          async () => {
            if ((await leaderKey(cluster).catch(() => leader.name)) !== leader.name) keyGoneAt = Date.now();
            return keyGoneAt;
          },
          { timeoutMs: (TTL + 15) * 1000, intervalMs: 100, what: `the leader key to stop naming ${leader.name}` },
        );
        // Kept frozen until another member leads (resumed at once, the frozen primary would win the race again).
        successor = await waitUntil(() => leading(others), { timeoutMs: 60_000, intervalMs: 100, what: 'another member to lead' });
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      const context = `${describeDevices()}\n${transcripts(cluster.members, 20)}`;
      const fired = dev.events.filter((event) => event.kind === 'fired');
      expect(fired.length, context).toBe(firedBefore + 1);
      const firedAt = fired.at(-1)!.at;
      const lastFeed = Math.max(...dev.events.filter((event) => event.kind === 'keepalive' && event.at < firedAt).map((event) => event.at));
      expect(firedAt, context).toBeLessThan(keyGoneAt!);
      console.log(`[watchdog] ${leader.name} frozen: device fired ${((firedAt - lastFeed) / 1000).toFixed(1)} s after its last feed, the leader key went ${((keyGoneAt! - lastFeed) / 1000).toFixed(1)} s after it (ttl ${TTL} s)`);
      expect(successor?.name, context).not.toBe('node3');
      expect(device(successor!).events.filter((event) => event.kind === 'set-timeout').at(-1)?.timeoutSeconds, context).toBe(DEVICE_TIMEOUT);
      // The resumed agent finds another leader: it demotes, disarms its device and follows.
      await waitUntil(async () => (await isInRecovery(leader)) === true, { timeoutMs: 60_000, what: `${leader.name} back as a replica` });
      await waitUntil(() => (dev.events.at(-1)?.kind === 'magic-close' ? true : undefined), { timeoutMs: 30_000, intervalMs: 100, what: `${leader.name}'s device closed` });
    }, 180_000);
  });
}
