import { runDcsContractSuite } from '@pgwarden/testkit/contract';
import { startZooKeeperHarness } from './zookeeper-harness.js';

runDcsContractSuite('zookeeper, single server', () => startZooKeeperHarness(1));
