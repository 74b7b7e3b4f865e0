import { runDcsContractSuite } from '@pgwarden/testkit';
import { startEtcdHarness } from './etcd-harness.js';

runDcsContractSuite('etcd3, single etcd node', () => startEtcdHarness(1));
