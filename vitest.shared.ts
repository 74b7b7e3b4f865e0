// Shared vitest settings of every package: tests import sibling packages from
// their TypeScript sources (the private "pgwarden-source" export condition), so a test run
// needs no prior build, and real-server tests get timeouts that fit them.
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const conditions = ['pgwarden-source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['pgwarden-source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    passWithNoTests: true,
    // Two test files at a time even on 2 cores (vitest's own default there is one): most
    // files start servers and then wait on ttls, outages and timeouts, so a second file
    // overlaps those waits (cli: 308 s one at a time, its Patroni mixed-cluster file 127 s
    // of them). The daemon runs its end-to-end files in two streams of its own instead.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['verbose'] : ['default'],
  },
});
