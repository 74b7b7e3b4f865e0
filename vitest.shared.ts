// Shared vitest settings of every package: tests import sibling packages from
// their TypeScript sources (the private "pgwarden-source" export condition), so a test run
// needs no prior build, and real-server tests get timeouts that fit them.
import { defineConfig } from 'vitest/config';

const conditions = ['pgwarden-source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['pgwarden-source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    passWithNoTests: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['verbose'] : ['default'],
  },
});
