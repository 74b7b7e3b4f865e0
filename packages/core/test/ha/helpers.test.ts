import { describe, expect, it } from 'vitest';
import {
  assessTakeover,
  backgroundActionName,
  exceedsMaximumLag,
  formatBytes,
  formatLsn,
  initialMemory,
  isLockValid,
  lagBytes,
  lockValidUntilMs,
  rankFailoverCandidates,
  recordLockRenewal,
  selectSyncStandbys,
  synchronousStandbyNamesValue,
} from '../../src/ha/index.js';
import { findImpurities } from '../../../../scripts/check-core-purity.mjs';
import { NOW, peer, settings } from './fixtures.js';

describe('lag computation', () => {
  it('formats an LSN as PostgreSQL does', () => {
    expect(formatLsn(0x3000060)).toBe('0/3000060');
    expect(formatLsn(2 ** 32 + 16)).toBe('1/10');
  });
  it('formats bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(1048576)).toBe('1 MB');
    expect(formatBytes(784 * 1048576)).toBe('784 MB');
  });
  it('lag is never negative and an unknown position lags by everything', () => {
    expect(lagBytes(100, 150)).toBe(0);
    expect(lagBytes(100, undefined)).toBe(100);
  });
  it('the limit itself is allowed, one byte more is not', () => {
    expect(exceedsMaximumLag(1048576 + 10, 10, 1048576)).toBe(false);
    expect(exceedsMaximumLag(1048576 + 11, 10, 1048576)).toBe(true);
  });
});

describe('failover candidate ranking explains itself', () => {
  const base = { leaderLsn: 900 * 1048576, maximumLagBytes: 1048576 };
  it('says why a lagging member is ineligible and ranks the others with priority and LSN', () => {
    const verdicts = rankFailoverCandidates({
      ...base,
      candidates: [{ name: 'a' }, { name: 'b', tags: { failover_priority: 50 } }, { name: 'c' }],
      statuses: [peer('a', { walPosition: 116 * 1048576 }), peer('b', { walPosition: 900 * 1048576 - 100, tags: { failover_priority: 50 } }), peer('c', { walPosition: 900 * 1048576 })],
    });
    expect(verdicts.map((verdict) => verdict.explanation)).toEqual([
      'ineligible: lag 784 MB > 1 MB limit',
      'eligible, rank 2: priority 50, LSN 0/383FFF9C',
      'eligible, rank 1: priority 1, LSN 0/38400000',
    ]);
  });
  it('marks nofailover, unreachable, watchdog-failed, non-sync and behind-timeline members ineligible', () => {
    const verdicts = rankFailoverCandidates({
      ...base,
      leaderLsn: 0,
      candidates: [{ name: 'n', tags: { nofailover: true } }, { name: 'u' }, { name: 'w' }, { name: 's' }, { name: 't' }],
      statuses: [peer('n'), peer('u', { reachable: false }), peer('w', { watchdogFailed: true }), peer('s'), peer('t', { timeline: 1 })],
      syncNames: ['n', 'u', 'w', 't'],
      clusterTimeline: 2,
    });
    expect(verdicts.map((verdict) => verdict.explanation)).toEqual([
      'ineligible: tagged nofailover (failover_priority 0)',
      'ineligible: did not answer the status request',
      'ineligible: watchdog required but not usable',
      'ineligible: not a synchronous standby in /sync',
      'ineligible: timeline 1 behind cluster timeline 2',
    ]);
  });
  it('a manual failover ignores the lag limit', () => {
    const [verdict] = rankFailoverCandidates({ ...base, ignoreLag: true, candidates: [{ name: 'a' }], statuses: [peer('a', { walPosition: 0 })] });
    expect(verdict?.eligible).toBe(true);
  });
});

describe('healthy enough to take over', () => {
  const me = { selfName: 'me', myWalPosition: 100, myPriority: 1, maximumLagBytes: 1048576 };
  it('is healthy when nobody reachable is ahead', () => {
    expect(assessTakeover({ ...me, peers: [peer('a', { walPosition: 90 }), peer('b', { reachable: false, walPosition: 500 })] }).healthy).toBe(true);
  });
  it('is not when a peer is ahead, or level with a higher priority, or primary', () => {
    expect(assessTakeover({ ...me, peers: [peer('a', { walPosition: 101 })] }).healthy).toBe(false);
    expect(assessTakeover({ ...me, peers: [peer('a', { walPosition: 100, tags: { failover_priority: 2 } })] }).healthy).toBe(false);
    expect(assessTakeover({ ...me, peers: [peer('a', { isPrimary: true, walPosition: 1 })] }).reason).toBe('Primary (a) is still alive');
  });
  it('ignores the /sync leader being ahead in synchronous mode', () => {
    expect(assessTakeover({ ...me, syncLeader: 'A', peers: [peer('a', { walPosition: 900 })] }).healthy).toBe(true);
  });
});

describe('synchronous standby selection', () => {
  const row = (name: string, syncState: string, flushLsn = 10, state = 'streaming') => ({ applicationName: name, state, syncState, syncPriority: 1, flushLsn });
  const members = (...names: string[]) => names.map((name) => ({ name, syncPriority: 1 }));
  it('prefers the current /sync members, then the most advanced', () => {
    const selection = selectSyncStandbys({ replication: [row('a', 'async', 50), row('b', 'sync', 10)], eligible: members('a', 'b'), count: 1, current: ['b'] });
    expect(selection).toEqual({ candidates: ['b'], confirmed: ['b'] });
  });
  it('only streaming, eligible members; confirmed only when PostgreSQL says sync', () => {
    const selection = selectSyncStandbys({ replication: [row('a', 'async', 50), row('x', 'sync'), row('c', 'sync', 5, 'catchup')], eligible: members('a', 'c'), count: 2, current: [] });
    expect(selection).toEqual({ candidates: ['a'], confirmed: [] });
  });
  it('writes synchronous_standby_names as PostgreSQL reads it', () => {
    expect(synchronousStandbyNamesValue([], 1, false)).toBe('');
    expect(synchronousStandbyNamesValue([], 1, true)).toBe('*');
    expect(synchronousStandbyNamesValue(['node2'], 1, false)).toBe('node2');
    expect(synchronousStandbyNamesValue(['node2', 'Node-3'], 2, false)).toBe('2 (node2,"Node-3")');
  });
});

describe('lock validity by our own clock', () => {
  it('is valid until renewal + ttl - safety margin, and never without a renewal', () => {
    expect(lockValidUntilMs(NOW, settings())).toBe(NOW + 25_000);
    expect(isLockValid(NOW, settings(), NOW + 24_999)).toBe(true);
    expect(isLockValid(NOW, settings(), NOW + 25_000)).toBe(false);
    expect(lockValidUntilMs(undefined, settings())).toBeUndefined();
    expect(isLockValid(undefined, settings(), NOW)).toBe(false);
  });

  it('a confirmed renewal makes us the leader in memory; its time is input, not memory', () => {
    const memory = recordLockRenewal({ ...initialMemory(), failsafeActive: true });
    expect(memory.isLeader).toBe(true);
    expect(memory.failsafeActive).toBe(false);
    expect('lockRenewedAtMs' in memory).toBe(false);
  });
});

describe('background action names as Patroni logs them', () => {
  it('names rewinds, clones and demotions', () => {
    expect(backgroundActionName({ type: 'rewind', source: { name: 'node1' } })).toBe('running pg_rewind from node1');
    expect(backgroundActionName({ type: 'create-replica', source: { name: 'node1' } })).toBe("bootstrap from 'node1'");
    expect(backgroundActionName({ type: 'demote', mode: 'offline' })).toBe('demoting self because DCS is not accessible and I was a leader');
    expect(backgroundActionName({ type: 'update-lock' })).toBeUndefined();
  });
});

describe('core purity', () => {
  it('packages/core/src has no node: imports, clocks, timers, randomness, process or console', () => {
    expect(findImpurities(new URL('../../src', import.meta.url).pathname)).toEqual([]);
  });
  it('the checker does catch an impurity (it can fail)', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'purity-'));
    try {
      writeFileSync(join(dir, 'bad.ts'), 'export const t = Date.now();\n');
      expect(findImpurities(dir)).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
