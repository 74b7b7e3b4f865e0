// The bins use top-level await, which CommonJS cannot hold: they are ESM only;
// the library entry is emitted as ESM and CommonJS (`require('@pgwarden/cli')`).
import { defineConfig } from 'tsup';

const common = { dts: true, sourcemap: true, target: 'node22', shims: true } as const;

export default defineConfig([
  { ...common, entry: ['src/index.ts', 'src/bin/pgwarden.ts', 'src/bin/pgwardenctl.ts', 'src/demo/run-demo.ts'], format: ['esm'] },
  { ...common, entry: ['src/index.ts'], format: ['cjs'], dts: true },
]);
