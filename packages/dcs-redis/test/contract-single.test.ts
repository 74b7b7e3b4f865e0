import { runDcsContractSuite } from '@pgwarden/testkit/contract';
import { startRedisHarness } from './redis-harness.js';

runDcsContractSuite('redis, single redis-server (standalone mode)', () => startRedisHarness());
