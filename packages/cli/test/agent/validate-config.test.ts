// `pgwarden --validate-config` run as a real process (through tsx, from the
// sources): exit codes, one readable line per problem, never a stack trace.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, postgresUser } from '@pgwarden/testkit';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const bin = join(repoRoot, 'packages/cli/src/bin/pgwarden.ts');
const examples = join(repoRoot, 'examples');
const temp = makeTempDir('validate-config');
afterAll(() => temp.remove());

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the bin with a clean environment (no PATRONI_* leaking in from the test runner). */
function pgwarden(args: readonly string[], options: { env?: Record<string, string>; asUser?: string } = {}): Run {
  const node = [process.execPath, '--conditions=pgwarden-source', '--import', 'tsx', bin, ...args];
  const [command, ...rest] = options.asUser ? ['runuser', '-u', options.asUser, '--', ...node] : node;
  const result = spawnSync(command ?? process.execPath, rest, {
    cwd: repoRoot,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectNoStackTrace(run: Run): void {
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toContain('Error:');
}

function writeConfig(name: string, text: string): string {
  const file = join(temp.path, name);
  writeFileSync(file, text);
  return file;
}

describe('pgwarden --validate-config', () => {
  it.each(['postgres0.yml', 'postgres1.yml', 'postgres2.yml'])('accepts the sample %s silently with exit 0', (name) => {
    const run = pgwarden(['--validate-config', join(examples, name)]);
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('prints every problem of a bad file on its own line and exits 1', () => {
    const text = readFileSync(join(examples, 'postgres0.yml'), 'utf8')
      .replace('ttl: 30', 'ttl: 10')
      .replace('listen: 127.0.0.1:8008', 'listen: 127.0.0.1')
      .replace('nostream: false', 'nostream: sometimes');
    const file = writeConfig('bad.yml', text);
    const run = pgwarden(['--validate-config', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `${file}:6:11: restapi.listen: expected "host:port" with a port between 1 and 65535, found string "127.0.0.1"`,
      `${file}:26:10: bootstrap.dcs.ttl: ttl=10 is below Patroni's minimum 20 and the fast timing profile can not run it: loop_wait + 2*retry_timeout must be <= ttl, found 10 + 2*10 > 10`,
      `${file}:93:13: tags.nostream: expected a boolean (true or false), found string "sometimes"`,
    ]);
    expectNoStackTrace(run);
  });

  it('accepts the fast timing profile (ttl 5, loop_wait 1, retry_timeout 1) when its fence argument holds, and names the failed condition when it does not', () => {
    const fast = readFileSync(join(examples, 'postgres0.yml'), 'utf8').replace('ttl: 30', 'ttl: 5').replace('loop_wait: 10', 'loop_wait: 1').replace('retry_timeout: 10', 'retry_timeout: 1');
    expect(pgwarden(['--validate-config', writeConfig('fast.yml', fast)])).toEqual({ code: 0, stdout: '', stderr: '' });
    const file = writeConfig('fast-no-margin.yml', fast.replace('watchdog:\n', 'watchdog:\n  safety_margin: 0\n'));
    const run = pgwarden(['--validate-config', file]);
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `${file}:26:10: bootstrap.dcs.ttl: ttl=5 is below Patroni's minimum 20 and the fast timing profile can not run it: the fence margin (watchdog.safety_margin, at most ttl/2) is 0 ms, less than the 1000 ms a demotion may take to stop writes before the lock expires`,
    ]);
    expectNoStackTrace(run);
  });

  it('refuses a setting pgwarden does not honour by name, with the file position, and exits 1', () => {
    const text = `${readFileSync(join(examples, 'postgres0.yml'), 'utf8')}citus:\n  group: 0\n  database: citus\n`;
    const file = writeConfig('citus.yml', text);
    const run = pgwarden(['--validate-config', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^${file}:\\d+:3: citus: Citus \\(MPP\\) clusters are not supported by pgwarden; remove the section$`, 'm'));
    expectNoStackTrace(run);
  });

  it('names each refused setting of one file on its own line with its position: citus, kubernetes, raft, a watchdog driver, a log module', () => {
    const base = readFileSync(join(examples, 'postgres0.yml'), 'utf8').replace('  mode: off  # allowed values: off, automatic, required\n', '  mode: off\n  driver: softdog-fake\n');
    const text = `${base}citus:\n  group: 0\n  database: citus\nkubernetes:\n  namespace: default\nraft:\n  self_addr: 127.0.0.1:2222\nlog:\n  loggers:\n    botocore: DEBUG\n`;
    const file = writeConfig('refused.yml', text);
    const line = (needle: string): number => text.split('\n').findIndex((entry) => entry.startsWith(needle)) + 1;
    const run = pgwarden(['--validate-config', file]);
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toContain(`${file}:${line('citus:') + 1}:3: citus: Citus (MPP) clusters are not supported by pgwarden; remove the section`);
    expect(lines.some((entry) => entry.startsWith(`${file}:${line('kubernetes:') + 1}:3: kubernetes: expected a DCS pgwarden supports`))).toBe(true);
    expect(lines.some((entry) => entry.startsWith(`${file}:${line('raft:') + 1}:3: raft: expected a DCS pgwarden supports`))).toBe(true);
    expect(lines).toContain(`${file}:${line('  driver:')}:11: watchdog.driver: pgwarden has only the Linux watchdog device driver (default)`);
    expect(lines.some((entry) => entry.startsWith(`${file}:${line('    botocore:')}:15: log.loggers.botocore: pgwarden has no logger of that name`))).toBe(true);
    expectNoStackTrace(run);
  });

  it('warns about a REST API listening beyond loopback without authentication, and still exits 0', () => {
    const text = readFileSync(join(examples, 'postgres0.yml'), 'utf8')
      .replace('listen: 127.0.0.1:8008', 'listen: 0.0.0.0:8008')
      .replace('  authentication:\n    username: patroni\n    password: patroni-api-secret\n', '');
    const file = writeConfig('exposed.yml', text);
    const run = pgwarden(['--validate-config', file]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`${file}:6:11: warning: restapi.listen: the REST API listens on all addresses (0.0.0.0) without restapi.authentication`);
  });

  it('reports malformed YAML with its position', () => {
    const file = writeConfig('broken.yml', 'scope: batman\nname: [postgresql0\nrestapi: {}\n');
    const run = pgwarden(['--validate-config', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: invalid YAML: `));
    expectNoStackTrace(run);
  });

  it('reports a missing file in one line', () => {
    const run = pgwarden(['--validate-config', join(temp.path, 'absent.yml')]);
    expect(run).toEqual({ code: 1, stdout: '', stderr: `cannot read configuration ${join(temp.path, 'absent.yml')}: no such file or directory\n` });
  });

  it('reports a bad PATRONI_* variable by name', () => {
    const run = pgwarden(['--validate-config', join(examples, 'postgres0.yml')], { env: { PATRONI_RESTAPI_REQUEST_QUEUE_SIZE: 'many' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('environment variable PATRONI_RESTAPI_REQUEST_QUEUE_SIZE: restapi.request_queue_size: expected an integer between 0 and 4096, found string "many"\n');
  });

  it.runIf(process.getuid?.() === 0)('reports a file the agent user may not read (run as postgres)', () => {
    const dir = join(temp.path, 'private');
    mkdirSync(dir);
    chmodSync(temp.path, 0o755);
    chmodSync(dir, 0o755);
    const file = join(dir, 'secret.yml');
    writeFileSync(file, readFileSync(join(examples, 'postgres0.yml')));
    chmodSync(file, 0o600);
    const run = pgwarden(['--validate-config', file], { asUser: postgresUser().name });
    expect(run).toEqual({ code: 1, stdout: '', stderr: `cannot read configuration ${file}: permission denied\n` });
  });

  it('without a file and without PATRONI_* variables, says the configuration is empty', () => {
    const run = pgwarden(['--validate-config']);
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'the configuration is empty\n' });
  });
});

describe('pgwarden command line', () => {
  it('--version prints `pgwarden` and the package version, as Patroni prints `patroni X.Y.Z`', () => {
    const version = (JSON.parse(readFileSync(join(repoRoot, 'packages/cli/package.json'), 'utf8')) as { version: string }).version;
    expect(pgwarden(['--version'])).toEqual({ code: 0, stdout: `pgwarden ${version}\n`, stderr: '' });
  });

  it('--help describes CONFIG and --validate-config', () => {
    const run = pgwarden(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: pgwarden [options] [CONFIG]');
    expect(run.stdout).toContain('--validate-config');
  });

  it('an unknown option is a usage error (exit 2)', () => {
    const run = pgwarden(['--frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("error: unknown option '--frobnicate'\n");
  });

  it('running the agent with an invalid configuration stops before starting anything', () => {
    const file = writeConfig('no-scope.yml', readFileSync(join(examples, 'postgres0.yml'), 'utf8').replace('scope: batman\n', ''));
    const run = pgwarden([file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`${file}:1:1: scope: missing: expected a string\n`);
  });
});
