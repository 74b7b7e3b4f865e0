import { runDcsContractSuite } from '@pgwarden/testkit/contract';
import { startConsulModelHarness } from './consul-harness.js';

runDcsContractSuite('consul (model of the documented HTTP API, not a real Consul)', () => startConsulModelHarness());
