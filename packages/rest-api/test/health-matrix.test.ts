/**
 * The status-code matrix over real HTTP: each member situation × each
 * health endpoint, by GET (status + JSON body) and by HEAD and OPTIONS
 * (bare status line only, as HAProxy reads it).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { MemberSnapshot } from '../src/index.js';
import {
  LEADER_LSN,
  NOW_MS,
  bareStatus,
  cluster,
  primarySnapshot,
  replicaPostgres,
  replicaSnapshot,
  send,
  startApi,
  stopAll,
} from './fixtures.js';

afterAll(stopAll);

const PATHS = [
  '/',
  '/primary',
  '/master',
  '/read-write',
  '/leader',
  '/standby-leader',
  '/standby_leader',
  '/replica',
  '/replica?lag=1MB',
  '/replica?replication_state=streaming',
  '/replica?tag_nofailover=true',
  '/read-only',
  '/sync',
  '/synchronous',
  '/async',
  '/asynchronous',
  '/asynchronous?lag=1MB',
  '/read-only-sync',
  '/health',
  '/no-such-endpoint',
  '/quorum',
  '/read-only-quorum',
] as const;

type Codes = Record<(typeof PATHS)[number] | '/liveness' | '/readiness', 200 | 503>;

/** Expected codes, one column per path in PATHS order, then /liveness and /readiness. */
function row(codes: string): Codes {
  const values = codes.split(/\s+/).filter(Boolean).map(Number) as (200 | 503)[];
  const paths = [...PATHS, '/liveness', '/readiness'] as const;
  if (values.length !== paths.length) throw new Error(`row has ${values.length} codes, expected ${paths.length}`);
  return Object.fromEntries(paths.map((path, index) => [path, values[index]])) as Codes;
}

const SITUATIONS: { name: string; snapshot: MemberSnapshot; codes: Codes }[] = [
  {
    name: 'primary holding the lock',
    snapshot: primarySnapshot(),
    //       /   pri mas rw  ldr sbl sbl rep lag rst tag ro  syn syn asy asy alag rosy hlt unk quo roq live ready
    codes: row('200 200 200 200 200 503 503 503 503 503 503 200 503 503 503 503 503 200 200 503 503 200 200 200'),
  },
  {
    // HAProxy must stop sending writes here: the lock may be someone else's by now.
    name: 'primary that could not renew the lock for a ttl (DCS unreachable, not paused)',
    snapshot: primarySnapshot({ clusterReadAtMs: NOW_MS - 31_000, lockRenewedAtMs: NOW_MS - 31_000 }),
    codes: row('503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 200 503 503 503 200 503'),
  },
  {
    name: 'replica streaming',
    snapshot: replicaSnapshot(),
    codes: row('503 503 503 503 503 503 503 200 200 200 503 200 503 503 200 200 200 503 200 503 503 503 200 200'),
  },
  {
    // INCIDENTS.md #10: running, but the WAL receiver is not streaming (wrong primary_conninfo).
    name: 'replica running from the archive, not streaming',
    snapshot: replicaSnapshot({ postgres: replicaPostgres({ replicationState: 'in archive recovery' }) }),
    codes: row('503 503 503 503 503 503 503 200 200 503 503 200 503 503 200 200 200 503 200 503 503 503 200 503'),
  },
  {
    name: 'replica lagging 100 MB behind',
    snapshot: replicaSnapshot({ postgres: replicaPostgres({ receivedLsn: LEADER_LSN - 100 * 1024 * 1024, replayedLsn: LEADER_LSN - 100 * 1024 * 1024 }) }),
    codes: row('503 503 503 503 503 503 503 200 503 200 503 200 503 503 200 200 503 503 200 503 503 503 200 503'),
  },
  {
    name: 'standby leader of a standby cluster',
    snapshot: replicaSnapshot({
      name: 'node1',
      role: 'standby_leader',
      standbyCluster: true,
      lockRenewedAtMs: NOW_MS - 1000,
    }),
    codes: row('503 503 503 503 200 200 200 503 503 503 503 200 503 503 503 503 503 200 200 503 503 200 200 200'),
  },
  {
    name: 'stopped PostgreSQL',
    snapshot: replicaSnapshot({ state: 'stopped', postgres: replicaPostgres({ running: false, accepting: false }) }),
    codes: row('503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 200 503'),
  },
  {
    name: 'paused primary whose DCS view and lock expired',
    snapshot: primarySnapshot({ paused: true, clusterReadAtMs: NOW_MS - 60_000, lockRenewedAtMs: NOW_MS - 60_000, nextCycleAtMs: NOW_MS - 600_000 }),
    codes: row('200 200 200 200 200 503 503 503 503 503 503 200 503 503 503 503 503 503 200 503 503 503 200 503'),
  },
  {
    name: 'synchronous standby',
    snapshot: replicaSnapshot({
      synchronousMode: true,
      cluster: cluster({ sync: { version: 3, leader: 'node1', syncStandbys: ['node2'] } }),
    }),
    codes: row('503 503 503 503 503 503 503 200 200 200 503 200 200 200 503 503 503 200 200 503 503 503 200 200'),
  },
  {
    name: 'quorum standby',
    snapshot: replicaSnapshot({
      synchronousMode: 'quorum',
      cluster: cluster({ sync: { version: 3, leader: 'node1', syncStandbys: ['node2'], quorum: 1 } }),
    }),
    codes: row('503 503 503 503 503 503 503 200 200 200 503 200 503 503 503 503 503 503 200 503 200 200 200 200'),
  },
  {
    name: 'replica tagged nofailover',
    snapshot: replicaSnapshot({ tags: { nofailover: true } }),
    codes: row('503 503 503 503 503 503 503 200 200 200 200 200 503 503 200 200 200 503 200 503 503 503 200 200'),
  },
  {
    name: 'replica tagged noloadbalance',
    snapshot: replicaSnapshot({ tags: { noloadbalance: true } }),
    codes: row('503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 200 503 503 503 200 200'),
  },
  {
    // pgwarden's departure: Patroni keeps answering 200 for a replica it cannot repair.
    name: 'replica whose history diverged from the leader\'s, not repaired (its reads are of a history the cluster lacks)',
    snapshot: replicaSnapshot({ diverged: true }),
    codes: row('503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 503 200 503 503 503 200 503'),
  },
];

describe('health-check status matrix', () => {
  for (const situation of SITUATIONS) {
    describe(situation.name, () => {
      it('answers GET with the expected code and the status object', async () => {
        const { base } = await startApi(situation.snapshot);
        const actual: Record<string, number> = {};
        for (const path of PATHS) {
          const response = await send(base, 'GET', path);
          actual[path] = response.status;
          const body = JSON.parse(response.text) as { patroni: { name: string } };
          expect(body.patroni.name).toBe(situation.snapshot.name);
        }
        const { port } = await startApi(situation.snapshot);
        actual['/liveness'] = await bareStatus(port, 'GET', '/liveness');
        actual['/readiness'] = await bareStatus(port, 'GET', '/readiness');
        expect(actual).toEqual(situation.codes);
      });

      it('answers HEAD and OPTIONS with a bare status line carrying the same code', async () => {
        const { port } = await startApi(situation.snapshot);
        for (const method of ['HEAD', 'OPTIONS']) {
          const actual: Record<string, number> = {};
          const expected: Record<string, number> = {};
          for (const path of PATHS) {
            actual[path] = await bareStatus(port, method, path);
            expected[path] = situation.codes[path];
          }
          expect({ method, codes: actual }).toEqual({ method, codes: expected });
        }
      });
    });
  }
});

describe('time-dependent rules, evaluated per request', () => {
  it('a primary stops answering 200 on /primary exactly ttl after its last lock refresh', async () => {
    const renewedAtMs = NOW_MS - 1000;
    const { port, clock } = await startApi(primarySnapshot({ lockRenewedAtMs: renewedAtMs, clusterReadAtMs: renewedAtMs }));
    clock.now = renewedAtMs + 30_000 - 1;
    expect(await bareStatus(port, 'OPTIONS', '/primary')).toBe(200);
    clock.now = renewedAtMs + 30_000;
    expect(await bareStatus(port, 'OPTIONS', '/primary')).toBe(503);
  });

  it('with the agent’s fence (lockValidForMs = ttl − safety margin), /primary fails when the agent starts demoting, before the key can expire', async () => {
    const renewedAtMs = NOW_MS - 1000;
    const { port, clock } = await startApi(primarySnapshot({ lockRenewedAtMs: renewedAtMs, lockValidForMs: 25_000, clusterReadAtMs: renewedAtMs }));
    clock.now = renewedAtMs + 25_000 - 1;
    expect(await bareStatus(port, 'OPTIONS', '/primary')).toBe(200);
    clock.now = renewedAtMs + 25_000;
    expect(await bareStatus(port, 'OPTIONS', '/primary')).toBe(503);
  });

  it('a replica drops from /sync when its cached view expires, and /liveness fails once the cycle is overdue by 2 ttl', async () => {
    const snapshot = replicaSnapshot({ synchronousMode: true, cluster: cluster({ sync: { version: 3, leader: 'node1', syncStandbys: ['node2'] } }) });
    const { port, clock } = await startApi(snapshot);
    expect(await bareStatus(port, 'OPTIONS', '/sync')).toBe(200);
    clock.now = (snapshot.clusterReadAtMs ?? 0) + 30_000;
    expect(await bareStatus(port, 'OPTIONS', '/sync')).toBe(503);
    clock.now = (snapshot.nextCycleAtMs ?? 0) + 60_000 - 1;
    expect(await bareStatus(port, 'GET', '/liveness')).toBe(200);
    clock.now = (snapshot.nextCycleAtMs ?? 0) + 60_000;
    expect(await bareStatus(port, 'GET', '/liveness')).toBe(503);
  });
});
