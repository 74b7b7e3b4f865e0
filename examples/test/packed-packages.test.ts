/**
 * The public packages as npm would publish them: `npm pack` of each, the
 * tarballs' contents checked, then installed into an empty project outside
 * the workspace (dependencies from the npm cache the workspace install
 * filled) where an example and small scripts run from `import` and from
 * `require`, and the `pgwarden` bin answers `--version`. Needs the packages
 * built (`npm run build`); CI builds before it tests.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const PUBLIC_PACKAGES = ['core', 'dcs-etcd', 'dcs-consul', 'dcs-redis', 'dcs-zookeeper', 'postgres-ctl', 'rest-api', 'haproxy-gen', 'daemon', 'cli'];
const run = promisify(execFile);

interface PackResult {
  readonly name: string;
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

let temp: string;
let project: string;
let packed: PackResult[];

async function node(args: readonly string[]): Promise<string> {
  const { stdout } = await run(process.execPath, args, { cwd: project, timeout: 60_000 });
  return stdout;
}

beforeAll(async () => {
  temp = mkdtempSync(join(tmpdir(), 'pgwarden-packed-'));
  project = join(temp, 'project');
  mkdirSync(project);
  const workspaces = PUBLIC_PACKAGES.flatMap((name) => ['--workspace', `packages/${name}`]);
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', temp, ...workspaces], { cwd: repoRoot, timeout: 120_000 });
  packed = JSON.parse(stdout) as PackResult[];
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // --prefer-offline: the third-party dependencies come from the cache `npm ci` filled. Their
  // metadata may still come from the registry: a stalled request is retried after 30 s instead
  // of npm's default 5 minutes (one clean-clone CI run hung here for the test's whole timeout).
  const install = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', '--fetch-timeout=30000', '--fetch-retries=4'];
  await run('npm', [...install, ...packed.map((result) => join(temp, result.filename))], {
    cwd: project,
    timeout: 300_000,
  });
}, 420_000);

afterAll(() => {
  if (temp !== undefined) rmSync(temp, { recursive: true, force: true });
});

describe('npm pack of the public packages', () => {
  it('packs every public package', () => {
    expect(packed.map((result) => result.name).sort()).toEqual(PUBLIC_PACKAGES.map((name) => `@pgwarden/${name}`).sort());
  });

  it('ships only the build, the types, the agent command script, README, LICENSE and package.json (no sources, tests or source maps)', () => {
    for (const result of packed) {
      const paths = result.files.map((file) => file.path);
      const unexpected = paths.filter((path) => !/^(dist\/.+\.(js|cjs|d\.ts|d\.cts)|systemd\/[^/]+|bin\/pgwarden|README\.md|LICENSE|package\.json)$/.test(path));
      expect({ name: result.name, unexpected }).toEqual({ name: result.name, unexpected: [] });
      expect(paths.filter((path) => /\.test\.|(^|\/)test\//.test(path))).toEqual([]);
      expect(paths).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']));
    }
  });

  it('carries the MIT licence and the metadata a registry page shows', () => {
    for (const name of PUBLIC_PACKAGES) {
      const manifest = JSON.parse(readFileSync(join(project, 'node_modules/@pgwarden', name, 'package.json'), 'utf8')) as Record<string, unknown>;
      expect(manifest).toMatchObject({ license: 'MIT', engines: { node: '>=22' }, repository: { directory: `packages/${name}` } });
      expect(readFileSync(join(project, 'node_modules/@pgwarden', name, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    }
  });
});

describe('installed from the tarballs into an empty project', () => {
  it('loads every package with require() (CommonJS)', async () => {
    writeFileSync(
      join(project, 'require-all.cjs'),
      `for (const name of ${JSON.stringify(PUBLIC_PACKAGES)}) console.log(name, Object.keys(require('@pgwarden/' + name)).length > 0);\n`,
    );
    expect(await node(['require-all.cjs'])).toBe(PUBLIC_PACKAGES.map((name) => `${name} true\n`).join(''));
  });

  it('loads every package with import (ESM)', async () => {
    writeFileSync(
      join(project, 'import-all.mjs'),
      `for (const name of ${JSON.stringify(PUBLIC_PACKAGES)}) console.log(name, Object.keys(await import('@pgwarden/' + name)).length > 0);\n`,
    );
    expect(await node(['import-all.mjs'])).toBe(PUBLIC_PACKAGES.map((name) => `${name} true\n`).join(''));
  });

  it('runs the ask-decide example (compiled to JavaScript) against the installed @pgwarden/core', async () => {
    const source = readFileSync(join(repoRoot, 'examples/ask-decide.ts'), 'utf8');
    const output = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    writeFileSync(join(project, 'ask-decide.mjs'), output.outputText);
    const stdout = await node(['ask-decide.mjs', '--situation', 'primary-lost-lock']);
    expect(stdout).toContain('rule:    follow.leader.demote');
    expect(stdout).toContain('actions: demote');
  });

  it('installs the bins: pgwarden --version prints pgwarden and the version', async () => {
    const version = (JSON.parse(readFileSync(join(repoRoot, 'packages/cli/package.json'), 'utf8')) as { version: string }).version;
    // The installed command itself (a shell script that execs node --single-threaded), through npm's link,
    // on this Node (PGWARDEN_NODE): not `node <bin>`.
    const { stdout } = await run(join(project, 'node_modules/.bin/pgwarden'), ['--version'], { cwd: project, timeout: 60_000, env: { ...process.env, PGWARDEN_NODE: process.execPath } });
    expect(stdout).toBe(`pgwarden ${version}\n`);
  });
});
