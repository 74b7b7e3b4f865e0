import { runDcsContractSuite } from '@pgwarden/testkit';
import { startConsulModelHarness } from './consul-harness.js';

runDcsContractSuite('consul (model of the documented HTTP API, not a real Consul)', () => startConsulModelHarness());
