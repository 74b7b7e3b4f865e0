import { runDcsContractSuite } from '@pgwarden/testkit/contract';
import { startEtcdHarness } from './etcd-harness.js';

runDcsContractSuite('etcd3, single etcd node', () => startEtcdHarness(1));
