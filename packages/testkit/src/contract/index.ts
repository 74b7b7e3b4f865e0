export { runDcsContractSuite } from './suite.js';
export type { ContractMember, ContractSuiteOptions, DcsContractHarness } from './harness.js';
export { keyFixtures, type KeyFixture } from './fixtures.js';
