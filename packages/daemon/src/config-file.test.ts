// Reading configuration from disk: files, conf.d directories, and every way a
// path can fail, each reported as one typed issue naming the path and reason.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatConfigIssue, type LoadConfigResult } from '@pgwarden/core';
import { makeTempDir } from '@pgwarden/testkit';
import { loadConfigFile, readDynamicConfigCache, writeDynamicConfigCache } from './config-file.js';

const temp = makeTempDir('config-file');
afterAll(() => temp.remove());

const example = readFileSync(fileURLToPath(new URL('../../../examples/postgres0.yml', import.meta.url)), 'utf8');

function messages(result: LoadConfigResult): string[] {
  return result.ok ? [] : result.issues.map(formatConfigIssue);
}

describe('loadConfigFile', () => {
  it('loads a Patroni member file', async () => {
    const file = join(temp.path, 'postgres0.yml');
    writeFileSync(file, example);
    const result = await loadConfigFile(file, { env: {} });
    expect(result.ok && result.config.name).toBe('postgresql0');
  });

  it('merges the *.yml and *.yaml files of a directory in name order, later files winning', async () => {
    const dir = join(temp.path, 'conf.d');
    mkdirSync(dir);
    writeFileSync(join(dir, '00-cluster.yml'), example);
    writeFileSync(join(dir, '50-member.yaml'), 'name: postgresql5\npostgresql:\n  data_dir: data/postgresql5\n');
    writeFileSync(join(dir, 'README.txt'), 'not configuration');
    const result = await loadConfigFile(dir, { env: {} });
    expect(result.ok && [result.config.name, result.config.postgresql.data_dir]).toEqual(['postgresql5', 'data/postgresql5']);
  });

  it('positions point into the file of the directory that holds the bad value', async () => {
    const dir = join(temp.path, 'conf-bad.d');
    mkdirSync(dir);
    writeFileSync(join(dir, '00-cluster.yml'), example);
    writeFileSync(join(dir, '10-member.yml'), 'tags:\n  nofailover: perhaps\n');
    expect(messages(await loadConfigFile(dir, { env: {} }))).toEqual([
      `${join(dir, '10-member.yml')}:2:15: tags.nofailover: expected a boolean (true or false), found string "perhaps"`,
    ]);
  });

  it('a directory without configuration files is an error naming it', async () => {
    const dir = join(temp.path, 'empty.d');
    mkdirSync(dir);
    expect(messages(await loadConfigFile(dir, { env: {} }))).toEqual([`cannot read configuration ${dir}: is a directory without *.yml or *.yaml files`]);
  });

  it('a missing file is an error, not a silent fall-back to the environment', async () => {
    const file = join(temp.path, 'nope.yml');
    expect(messages(await loadConfigFile(file, { env: { PATRONI_CONFIGURATION: example } }))).toEqual([
      `cannot read configuration ${file}: no such file or directory`,
    ]);
  });

  it('an unreadable path (a symlink loop, unreadable even for root) is an error naming the reason', async () => {
    const loop = join(temp.path, 'loop.yml');
    symlinkSync(loop, loop);
    expect(messages(await loadConfigFile(loop, { env: {} }))).toEqual([
      `cannot read configuration ${loop}: too many levels of symbolic links (a symlink loop)`,
    ]);
  });

  it('a dangling symlink is reported as a missing file', async () => {
    const link = join(temp.path, 'dangling.yml');
    symlinkSync(join(temp.path, 'gone.yml'), link);
    expect(messages(await loadConfigFile(link, { env: {} }))).toEqual([`cannot read configuration ${link}: no such file or directory`]);
  });

  it('a path through a regular file is reported as such', async () => {
    const file = join(temp.path, 'plain.yml');
    writeFileSync(file, example);
    const path = join(file, 'inner.yml');
    expect(messages(await loadConfigFile(path, { env: {} }))).toEqual([`cannot read configuration ${path}: a component of the path is not a directory`]);
  });

  it('a file that is not UTF-8 text is rejected', async () => {
    const file = join(temp.path, 'binary.yml');
    writeFileSync(file, Buffer.from([0x73, 0x63, 0x6f, 0x70, 0x65, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
    expect(messages(await loadConfigFile(file, { env: {} }))).toEqual([`cannot read configuration ${file}: not UTF-8 text`]);
  });

  it('without a path the configuration comes from PATRONI_CONFIGURATION', async () => {
    const result = await loadConfigFile(undefined, { env: { PATRONI_CONFIGURATION: example } });
    expect(result.ok && result.config.scope).toBe('batman');
  });
});

describe('dynamic configuration cache', () => {
  it('is written atomically with mode 0600 and read back', async () => {
    const dir = join(temp.path, 'data');
    mkdirSync(dir);
    await writeDynamicConfigCache(dir, { ttl: 30, loop_wait: 10 });
    expect(await readDynamicConfigCache(dir)).toEqual({ ttl: 30, loop_wait: 10 });
    expect(statSync(join(dir, 'patroni.dynamic.json')).mode & 0o777).toBe(0o600);
  });

  it('a missing or corrupt cache reads as undefined', async () => {
    const dir = join(temp.path, 'data-corrupt');
    mkdirSync(dir);
    expect(await readDynamicConfigCache(dir)).toBeUndefined();
    writeFileSync(join(dir, 'patroni.dynamic.json'), '{"ttl": 3');
    expect(await readDynamicConfigCache(dir)).toBeUndefined();
  });
});

describe('loadConfigFile in validate mode checks the installation like patroni --validate-config', () => {
  function memberFile(name: string, replace: (text: string) => string): string {
    const file = join(temp.path, name);
    writeFileSync(file, replace(example));
    return file;
  }

  it('the sample with Debian’s PostgreSQL 15 binaries passes', async () => {
    const file = memberFile('installed.yml', (text) => text.replace('data/postgresql0', join(temp.path, 'no-data-yet')));
    const result = await loadConfigFile(file, { env: {}, mode: 'validate' });
    expect(messages(result)).toEqual([]);
  });

  it('a bin_dir without the binaries is reported at its position', async () => {
    const file = memberFile('no-bin.yml', (text) => text.replace('/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/99/bin'));
    expect(messages(await loadConfigFile(file, { env: {}, mode: 'validate' }))).toEqual([
      `${file}:66:12: postgresql.bin_dir: expected a directory holding the PostgreSQL binaries, found "/usr/lib/postgresql/99/bin" without pg_ctl, initdb, pg_controldata, pg_basebackup, postgres, pg_isready, pg_rewind`,
    ]);
  });

  it('without bin_dir the binaries are looked up on PATH', async () => {
    const file = memberFile('path.yml', (text) => text.replace('  bin_dir: /usr/lib/postgresql/15/bin\n', '').replace('data/postgresql0', join(temp.path, 'none')));
    expect(messages(await loadConfigFile(file, { env: { PATH: '/usr/lib/postgresql/15/bin' }, mode: 'validate' }))).toEqual([]);
    expect(messages(await loadConfigFile(file, { env: { PATH: '/nonexistent' }, mode: 'validate' }))[0]).toContain(
      'postgresql: not found on PATH: pg_ctl, initdb, pg_controldata, pg_basebackup, postgres, pg_isready, pg_rewind; set postgresql.bin_dir',
    );
  });

  it('a non-empty data_dir that is not a data directory is reported', async () => {
    const junk = join(temp.path, 'junk-data');
    mkdirSync(junk);
    writeFileSync(join(junk, 'notes.txt'), 'hello');
    const file = memberFile('junk.yml', (text) => text.replace('data/postgresql0', junk));
    expect(messages(await loadConfigFile(file, { env: {}, mode: 'validate' }))).toEqual([
      `${file}:65:13: postgresql.data_dir: is not empty but is not a PostgreSQL data directory (no PG_VERSION and global/pg_control): ${junk}`,
    ]);
  });

  it('the agent (run mode) does not check the installation', async () => {
    const file = memberFile('run.yml', (text) => text.replace('/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/99/bin'));
    expect((await loadConfigFile(file, { env: {}, mode: 'run' })).ok).toBe(true);
  });
});
