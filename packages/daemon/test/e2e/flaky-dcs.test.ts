/**
 * INCIDENTS.md #1, the flaky NIC, on real parts: three agents, real
 * PostgreSQL 15, a real etcd reached by each agent through its own TCP proxy.
 * The leader's link to etcd is cut for 2–15 s again and again, then every
 * member's is; the members always reach each other. With failsafe_mode the
 * primary stays the primary throughout: no demotion, no leader change, never
 * a second writable member. (The simulator runs the same scenario for twenty
 * minutes of model time over many seeds; this run is shorter, for CI.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, startPgwardenCluster, startTcpProxy, type EtcdCluster, type PgwardenCluster, type PgwardenMember, type TcpProxy } from '@pgwarden/testkit';
import { isInRecovery, transcripts, waitForFailsafeList } from './helpers.js';

/** A small seeded PRNG (mulberry32): the schedule of cuts is the same on every run. */
function prng(seed: number): (min: number, max: number) => number {
  let state = seed >>> 0;
  return (min, max) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(min + unit * (max - min + 1));
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface FlakySchedule {
  readonly ttl: number;
  readonly loopWait: number;
  readonly retryTimeout: number;
  /** Time between cuts, and length of a cut, in ms: cuts outlast ttl - safety margin. */
  readonly gapMs: readonly [number, number];
  readonly downMs: readonly [number, number];
  readonly leaderPhaseMs: number;
  readonly allPhaseMs: number;
}

function flakySuite(label: string, plan: FlakySchedule): void {
describe(`incident #1: the DCS link drops again and again (failsafe_mode on; ${label}: ttl ${plan.ttl}, loop_wait ${plan.loopWait}, retry_timeout ${plan.retryTimeout})`, () => {
  let etcd: EtcdCluster;
  let cluster: PgwardenCluster;
  const proxies = new Map<string, TcpProxy>();

  beforeAll(async () => {
    etcd = await startEtcd({ size: 1 });
    const target = new URL(etcd.endpoints[0]!);
    for (const name of ['node1', 'node2', 'node3']) proxies.set(name, await startTcpProxy({ host: target.hostname, port: Number(target.port) }));
    cluster = await startPgwardenCluster({
      size: 3,
      etcd,
      ttl: plan.ttl,
      loopWait: plan.loopWait,
      retryTimeout: plan.retryTimeout,
      dcs: { failsafe_mode: true },
      // use_proxies: the proxy is the only way to etcd (no endpoints discovered from etcd's member list around it).
      configure: (name, config) => ({ ...config, etcd3: { hosts: [proxies.get(name)!.address], use_proxies: true } }),
    });
    const leader = await cluster.waitForLeader({ timeoutMs: 90_000 });
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 90_000 });
    await waitForFailsafeList(leader, 3);
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    for (const proxy of proxies.values()) await proxy.close();
    await etcd?.stop();
  }, 120_000);

  it('keeps one writable primary, the same one, through every cut', async () => {
    const leader = await cluster.waitForLeader();
    const others = cluster.members.filter((member) => member !== leader);
    const random = prng(20261202);
    const schedule: string[] = [];
    const problems: string[] = [];
    let samples = 0;
    let stop = false;

    // Every 500 ms: the leader is writable and nobody else is. An unanswered probe proves nothing either way.
    const monitor = (async () => {
      while (!stop) {
        const [mine, ...theirs] = await Promise.all([leader, ...others].map((member: PgwardenMember) => isInRecovery(member)));
        samples += 1;
        if (mine === true) problems.push(`${new Date().toISOString()} ${leader.name} is in recovery`);
        theirs.forEach((state, index) => {
          if (state === false) problems.push(`${new Date().toISOString()} ${others[index]!.name} is writable`);
        });
        await sleep(500);
      }
    })();

    const leaderLogBefore = leader.output().length;
    const cutFor = async (names: readonly string[], phase: string): Promise<void> => {
      // The long cuts of the incident's 2–15 s are the ones that test something: they outlast ttl - safety margin.
      await sleep(random(...plan.gapMs));
      const downMs = random(...plan.downMs);
      schedule.push(`${phase}: ${names.join('+')} cut for ${downMs} ms`);
      for (const name of names) proxies.get(name)!.cut();
      await sleep(downMs);
      for (const name of names) proxies.get(name)!.restore();
    };
    const leaderPhaseEnds = Date.now() + plan.leaderPhaseMs;
    while (Date.now() < leaderPhaseEnds) await cutFor([leader.name], 'leader only');
    const allPhaseEnds = Date.now() + plan.allPhaseMs;
    while (Date.now() < allPhaseEnds) await cutFor(['node1', 'node2', 'node3'], 'everyone');
    await sleep(10_000);
    stop = true;
    await monitor;

    const context = `${schedule.join('\n')}\n${transcripts(cluster.members, 30)}`;
    expect(schedule.length, context).toBeGreaterThanOrEqual(4);
    // The cuts happened: the leader itself lost etcd (it ran on failsafe) and nothing routed around its proxy.
    const duringCuts = leader.output().slice(leaderLogBefore);
    expect(duringCuts, context).toMatch(/failsafe mode is enabled and all members are accessible/);
    expect(duringCuts, context).toMatch(/DCS is not accessible|DCS unreachable|could not be renewed|etcd operation failed/);
    expect(leader.output(), context).not.toMatch(/etcd endpoints discovered from the member list/);
    expect(problems, context).toEqual([]);
    expect(samples).toBeGreaterThan(100);
    expect((await cluster.waitForLeader({ timeoutMs: 30_000 })).name, context).toBe(leader.name);
    await cluster.waitForStreamingReplicas(2, { timeoutMs: 60_000 });
    // The agent never demoted: no role change away from primary was logged.
    expect(leader.output(), context).not.toMatch(/ROLE CHANGE: primary ->/);
  }, 240_000);
});
}

flakySuite('defaults of the incident', { ttl: 20, loopWait: 2, retryTimeout: 5, gapMs: [5_000, 15_000], downMs: [8_000, 15_000], leaderPhaseMs: 45_000, allPhaseMs: 40_000 });
// The fast profile: every cut (3–8 s) outlasts the lock's validity (2.5 s), most outlast ttl itself.
flakySuite('fast profile', { ttl: 5, loopWait: 1, retryTimeout: 1, gapMs: [2_000, 6_000], downMs: [3_000, 8_000], leaderPhaseMs: 30_000, allPhaseMs: 25_000 });
