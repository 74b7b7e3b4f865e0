// The installed `pgwarden` command is bin/pgwarden, a shell script that runs Node with
// --single-threaded on dist/bin/pgwarden.js: checked through a symlink (as npm installs it),
// with PGWARDEN_NODE pointing at a stand-in that prints what it was given.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const packageDir = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('bin/pgwarden', () => {
  it('execs node --single-threaded on the built agent with the arguments as given, also through a symlink', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgwarden-bin-'));
    dirs.push(dir);
    const fakeNode = join(dir, 'node');
    writeFileSync(fakeNode, '#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n');
    chmodSync(fakeNode, 0o755);
    const link = join(dir, 'pgwarden');
    symlinkSync(join(packageDir, 'bin/pgwarden'), link);
    const out = execFileSync(link, ['/etc/pgwarden/pgwarden.yml', 'two words'], { env: { ...process.env, PGWARDEN_NODE: fakeNode }, encoding: 'utf8' });
    expect(out.trimEnd().split('\n')).toEqual(['--single-threaded', join(packageDir, 'dist/bin/pgwarden.js'), '/etc/pgwarden/pgwarden.yml', 'two words']);
  });
});
