// One-off generator of the package skeletons (kept for adding packages later).
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
const pkgs = {
  core: { desc: 'Pure core of pgwarden: configuration schemas, cluster model, DCS interface and the HA decision machine', deps: { zod: '^3.25.76', yaml: '^2.8.1' } },
  'dcs-etcd': { desc: 'pgwarden DCS adapter for etcd v3: leases, transactions, watch cache, Patroni key layout', deps: { '@pgwarden/core': '0.1.0', etcd3: '^1.1.2' } },
  'dcs-consul': { desc: "pgwarden DCS adapter for Consul's HTTP API: sessions, CAS, blocking queries", deps: { '@pgwarden/core': '0.1.0' } },
  'postgres-ctl': { desc: 'Everything pgwarden does to PostgreSQL: initdb, basebackup, config files, start/stop/promote, rewind, observe', deps: { '@pgwarden/core': '0.1.0', pg: '^8.16.3' } },
  'rest-api': { desc: 'Patroni-compatible REST API for a pgwarden member, served from a state snapshot', deps: { '@pgwarden/core': '0.1.0' } },
  'haproxy-gen': { desc: 'haproxy.cfg generation from pgwarden/Patroni cluster state, and a watcher that reloads HAProxy', deps: { '@pgwarden/core': '0.1.0' } },
  daemon: { desc: 'The pgwarden agent runtime: observe, decide, act, publish, wait', deps: { '@pgwarden/core': '0.1.0', '@pgwarden/dcs-etcd': '0.1.0', '@pgwarden/dcs-consul': '0.1.0', '@pgwarden/postgres-ctl': '0.1.0', '@pgwarden/rest-api': '0.1.0', '@pgwarden/haproxy-gen': '0.1.0', pino: '^9.9.0' } },
  cli: { desc: 'The pgwarden agent (pgwarden) and the patronictl-compatible operator CLI (pgwardenctl)', deps: { '@pgwarden/core': '0.1.0', '@pgwarden/daemon': '0.1.0', commander: '^14.0.1', yaml: '^2.8.1' }, bin: { pgwarden: './dist/bin/pgwarden.js', pgwardenctl: './dist/bin/pgwardenctl.js' }, entries: ['src/index.ts', 'src/bin/pgwarden.ts', 'src/bin/pgwardenctl.ts'] },
  testkit: { desc: 'Private test kit: launchers for real etcd/PostgreSQL/HAProxy, the DCS contract suite, the deterministic simulator', deps: { '@pgwarden/core': '0.1.0' }, private: true },
};
for (const [name, p] of Object.entries(pkgs)) {
  const dir = `packages/${name}`;
  mkdirSync(`${dir}/src`, { recursive: true });
  const pj = {
    name: `@pgwarden/${name}`,
    version: '0.1.0',
    description: p.desc,
    ...(p.private ? { private: true } : {}),
    license: 'MIT',
    type: 'module',
    sideEffects: false,
    // ESM and CommonJS builds: `import` and `require()` both work on Node 20 and 22 (examples/test/packed-packages.test.ts).
    exports: {
      '.': {
        source: './src/index.ts',
        import: { types: './dist/index.d.ts', default: './dist/index.js' },
        require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
      },
      './package.json': './package.json',
    },
    main: './dist/index.cjs',
    module: './dist/index.js',
    types: './dist/index.d.ts',
    ...(p.bin ? { bin: p.bin } : {}),
    // Published: the build, README and LICENSE only (no sources, tests or source maps).
    files: p.private ? ['dist', 'src', 'README.md'] : ['dist', '!dist/**/*.map', 'README.md', 'LICENSE'],
    engines: { node: '>=20' },
    ...(p.private ? {} : { publishConfig: { access: 'public' } }),
    scripts: { build: 'tsup', test: 'vitest run', typecheck: 'tsc --noEmit' },
    tsup: { entry: p.entries ?? ['src/index.ts'], format: p.private ? ['esm'] : ['esm', 'cjs'], dts: true, sourcemap: true, clean: true, target: 'node20' },
    dependencies: p.deps,
  };
  writeFileSync(`${dir}/package.json`, JSON.stringify(pj, null, 2) + '\n');
  writeFileSync(`${dir}/tsconfig.json`, JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src', 'test'] }, null, 2) + '\n');
  writeFileSync(`${dir}/vitest.config.ts`, "export { default } from '../../vitest.shared.js';\n");
  if (!existsSync(`${dir}/src/index.ts`)) writeFileSync(`${dir}/src/index.ts`, `// @pgwarden/${name}: ${p.desc}.\nexport {};\n`);
  if (!existsSync(`${dir}/README.md`)) writeFileSync(`${dir}/README.md`, `# @pgwarden/${name}\n\n${p.desc}.\n`);
}
