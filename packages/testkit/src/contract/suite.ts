/**
 * The DCS contract suite: one set of semantics every adapter passes against
 * its real server. An adapter's test calls
 * `runDcsContractSuite('etcd3 single node', () => startHarness())`; the
 * harness is created once, every case uses a fresh cluster scope, and the
 * cases that stop servers run last.
 */
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { registerCompatCases } from './compat-cases.js';
import { createSuiteContext } from './context.js';
import type { ContractSuiteOptions, DcsContractHarness } from './harness.js';
import { registerKeyCases } from './key-cases.js';
import { registerLockCases } from './lock-cases.js';
import { registerOutageCases } from './outage-cases.js';
import { registerWatchCases } from './watch-cases.js';

export function runDcsContractSuite(
  name: string,
  createHarness: () => Promise<DcsContractHarness>,
  options: ContractSuiteOptions = {},
): void {
  let harness: DcsContractHarness | undefined;
  const context = createSuiteContext(() => harness, options.knownBugs ?? {});
  describe(`DCS contract: ${name}`, () => {
    beforeAll(async () => {
      // Every case is registered by now: a stale knownBugs entry would hide nothing, so it is refused.
      const unused = context.unusedKnownBugs();
      if (unused.length > 0) throw new Error(`knownBugs names no case of the suite: ${unused.join('; ')}`);
      harness = await createHarness();
    });
    afterEach(async () => {
      await context.closeMembers();
    });
    afterAll(async () => {
      await context.closeMembers();
      await harness?.close();
    });
    describe('leader lock', () => registerLockCases(context));
    describe('keys', () => registerKeyCases(context));
    describe('watch', () => registerWatchCases(context));
    describe('compatibility with Patroni', () => registerCompatCases(context));
    if (!options.skipOutages) describe('server outages', () => registerOutageCases(context));
  });
}
