/**
 * Compatibility with Patroni: the keys the adapter writes for a small cluster
 * are read back raw from the server and compared with spec/dcs.md's formats,
 * field by field (so a mismatch names the field) and then byte for byte.
 */
import { expect } from 'vitest';
import { expectOk, type SuiteContext } from './context.js';
import { configFixtureData, failsafeFixture, historyFixtureLines, keyFixtures, memberFixtureData } from './fixtures.js';

function parseOrText(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

export function registerCompatCases(context: SuiteContext): void {
  context.it('keys written for a small cluster match Patroni’s formats field by field and byte for byte', async () => {
    const scope = context.newScope();
    const harness = context.harness();
    const node1 = await context.member(scope, 'node1');
    expectOk(await node1.initialize({ createNew: true }));
    expectOk(await node1.initialize({ createNew: false, sysid: '7380236651356719834' }));
    expectOk(await node1.setConfig(configFixtureData));
    expect((await node1.acquireLeader()).kind).toBe('held');
    expectOk(await node1.touchMember(memberFixtureData));
    expectOk(await node1.getCluster());
    const slots = { node2: 67393616, permanent_logical_1: 67380000 };
    expect((await node1.updateLeader({ lastLsn: 67393616, slots, failsafe: failsafeFixture })).kind).toBe('held');
    expectOk(await node1.setFailover({ leader: 'node1', member: 'node2', scheduled_at: '2024-07-01T12:00:00+02:00' }));
    expectOk(await node1.writeSyncState('node1', ['node3', 'node2']));
    expectOk(await node1.setHistory(historyFixtureLines.map((line) => [...line])));

    for (const fixture of keyFixtures) {
      const raw = await harness.readRaw(scope, fixture.key);
      expect(raw, `key ${fixture.key} is missing`).toBeDefined();
      const expected = parseOrText(fixture.raw);
      const actual = parseOrText(raw!);
      if (typeof expected === 'object' && expected !== null && !Array.isArray(expected)) {
        const actualObject = actual as Record<string, unknown>;
        for (const [field, value] of Object.entries(expected)) {
          expect(actualObject[field], `${fixture.key}.${field}`).toEqual(value);
        }
        const extra = Object.keys(actualObject).filter((field) => !(field in expected) && !fixture.laterFields?.includes(field));
        expect(extra, `${fixture.key}: fields Patroni does not write`).toEqual([]);
        // Byte-for-byte once the later-version fields are taken out.
        const stripped = Object.fromEntries(Object.entries(actualObject).filter(([field]) => field in expected));
        expect(JSON.stringify(stripped), `${fixture.key} field order`).toBe(fixture.raw);
        if (Object.keys(stripped).length === Object.keys(actualObject).length) expect(raw, `${fixture.key} bytes`).toBe(fixture.raw);
      } else {
        expect(raw, `${fixture.key} bytes`).toBe(fixture.raw);
      }
    }
  });

  context.it('non-ASCII text is written escaped, as Python’s json.dumps does', async () => {
    const scope = context.newScope();
    const dcs = await context.member(scope, 'node1');
    expectOk(await dcs.touchMember({ state: 'running', tags: { zone: 'Zürich ☃', nofailover: true } }));
    expect(await context.harness().readRaw(scope, 'members/node1')).toBe(
      '{"state":"running","tags":{"zone":"Z\\u00fcrich \\u2603","nofailover":true}}',
    );
    const member = expectOk(await (await context.member(scope, 'node2')).getCluster()).members[0];
    expect(member?.data.tags).toEqual({ zone: 'Zürich ☃', nofailover: true });
  });

  context.it('values Patroni wrote are read as Patroni reads them', async () => {
    const scope = context.newScope();
    const harness = context.harness();
    for (const fixture of keyFixtures) await harness.writeRaw(scope, fixture.key, fixture.raw);
    const cluster = expectOk(await (await context.member(scope, 'reader')).getCluster());
    expect(cluster.initialize).toBe('7380236651356719834');
    expect(cluster.leader?.name).toBe('node1');
    expect(cluster.members[0]).toMatchObject({ name: 'node1', data: memberFixtureData });
    expect(cluster.config?.data).toEqual(configFixtureData);
    expect(cluster.lastLsn).toBe(67393616);
    expect(cluster.slots).toEqual({ node2: 67393616, permanent_logical_1: 67380000 });
    expect(cluster.failover).toMatchObject({ leader: 'node1', candidate: 'node2', scheduledAt: '2024-07-01T12:00:00+02:00' });
    expect(cluster.sync).toMatchObject({ leader: 'node1', syncStandbys: ['node2', 'node3'] });
    expect(cluster.history?.lines).toHaveLength(2);
    expect(cluster.failsafe).toEqual(failsafeFixture);
  });
}
