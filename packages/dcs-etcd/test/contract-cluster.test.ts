import { runDcsContractSuite } from '@pgwarden/testkit/contract';
import { startEtcdHarness } from './etcd-harness.js';

runDcsContractSuite('etcd3, three-node etcd cluster', () => startEtcdHarness(3));
