// The end-to-end files each run a real cluster (etcd + three agents + three
// PostgreSQL): one file at a time per vitest run. `npm test` runs two such
// runs side by side (scripts/test.sh: fault-injection files in one stream,
// the others in the second), which 2 cores carry.
import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

export default mergeConfig(shared, defineConfig({ test: { fileParallelism: false } }));
