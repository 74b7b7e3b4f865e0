import { runDcsContractSuite } from '@pgwarden/testkit/contract';
import { startZooKeeperHarness } from './zookeeper-harness.js';

runDcsContractSuite('zookeeper, three-server ensemble', () => startZooKeeperHarness(3));
