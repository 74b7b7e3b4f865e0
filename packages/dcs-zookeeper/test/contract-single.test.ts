import { runDcsContractSuite } from '@pgwarden/testkit/contract';
import { startZooKeeperHarness } from './zookeeper-harness.js';

runDcsContractSuite('zookeeper, single server', () => startZooKeeperHarness(1), {
  knownBugs: {
    // Seen in 2 of 5 CI runs and 1 of 4 local runs, only after the other outage cases of this file
    // (never alone, 6 of 6): the adapter does not hold the lock again within 45 s. Issue 18 stays open.
    'after the servers come back, the same adapter reads and holds the lock again':
      'after the earlier outage cases the single-server adapter sometimes never reacquires (issue 18)',
  },
});
