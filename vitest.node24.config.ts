// The unit tests of every package and the examples (these against a real
// etcd), in one vitest run from the repository root: scripts/test-node24.sh
// runs it on Node.js 24 after the whole suite ran on Node.js 22.
import { defineConfig, mergeConfig } from 'vitest/config';
import shared from './vitest.shared.js';

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      include: [
        'packages/*/src/**/*.test.ts',
        'packages/core/test/**/*.test.ts',
        'packages/rest-api/test/**/*.test.ts',
        'packages/daemon/test/unit/**/*.test.ts',
        'packages/cli/test/unit/**/*.test.ts',
        'packages/haproxy-gen/test/render.test.ts',
        'packages/dcs-consul/test/request-mapping.test.ts',
        'examples/test/examples.test.ts',
      ],
    },
  }),
);
