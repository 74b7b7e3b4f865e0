// The end-to-end files each run a real cluster (etcd + three agents + three
// PostgreSQL): one file at a time keeps them within 2 cores and their timing.
import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

export default mergeConfig(shared, defineConfig({ test: { fileParallelism: false } }));
