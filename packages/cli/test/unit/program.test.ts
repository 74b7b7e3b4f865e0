import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ctl } from '../helpers/run-ctl.js';

const COMMANDS = [
  'list', 'topology', 'switchover', 'failover', 'restart', 'reload', 'reinit', 'pause', 'resume', 'edit-config',
  'show-config', 'history', 'remove', 'query', 'dsn', 'version', 'flush', 'haproxy', 'completion',
];

describe('the command line', () => {
  it('lists every patronictl command in --help', async () => {
    const run = await ctl(['--help']);
    expect(run.code).toBe(0);
    for (const command of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it.each(COMMANDS)('%s --help describes its usage without needing a config or a DCS', async (command) => {
    const run = await ctl([command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: pgwardenctl ${command} `));
  });

  it('has patronictl flags on the commands that take them', async () => {
    expect((await ctl(['list', '--help'])).stdout).toMatch(/-e, --extended[\s\S]*-t, --timestamp[\s\S]*-f, --format <FORMAT>[\s\S]*-W[\s\S]*-w, --watch <SEC>/);
    expect((await ctl(['restart', '--help'])).stdout).toMatch(/-r, --role <ROLE>[\s\S]*--any[\s\S]*--scheduled[\s\S]*--pg-version[\s\S]*--pending[\s\S]*--timeout[\s\S]*--force/);
    expect((await ctl(['edit-config', '--help'])).stdout).toMatch(/-q, --quiet[\s\S]*-s, --set[\s\S]*-p, --pg[\s\S]*--apply[\s\S]*--replace[\s\S]*--force/);
  });

  it('rejects an unknown command, option or format with a usage error', async () => {
    expect((await ctl(['bogus'])).code).not.toBe(0);
    const badFormat = await ctl(['list', '-f', 'xml']);
    expect(badFormat.code).not.toBe(0);
    expect(badFormat.stderr).toMatch(/argument 'xml' is invalid. Allowed choices are pretty, tsv, json, yaml, yml/);
  });

  it('asks for a cluster name when neither an argument nor scope gives one', async () => {
    const run = await ctl(['-d', 'etcd3://127.0.0.1:1', 'list']);
    expect(run).toMatchObject({ code: 1, stderr: 'Error: No cluster name: give CLUSTER_NAME or set scope in the config file' });
  });
});

describe('shell completion', () => {
  it('bash: the script is valid bash and completes commands and role values', async () => {
    const run = await ctl(['completion', 'bash']);
    const dir = mkdtempSync(join(tmpdir(), 'pgwardenctl-completion-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'completion.bash');
    writeFileSync(file, `${run.stdout}\n`);
    expect(spawnSync('bash', ['-n', file]).status).toBe(0);
    const complete = (words: string[]): string =>
      execFileSync('bash', ['-c', `source ${file}; COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _pgwardenctl; printf '%s\\n' "\${COMPREPLY[@]}"`]).toString();
    expect(complete(['pgwardenctl', 'sw'])).toBe('switchover\n');
    expect(complete(['pgwardenctl', 'restart', '--role', 'rep'])).toBe('replica\n');
    expect(complete(['pgwardenctl', 'list', '--ext'])).toBe('--extended\n');
  });

  it('zsh: the script declares the completion function for pgwardenctl', async () => {
    const run = await ctl(['completion', 'zsh']);
    expect(run.stdout.split('\n')[0]).toBe('#compdef pgwardenctl');
    expect(run.stdout).toContain("'switchover:");
    expect(run.stdout).toContain("'(-r --role)'{-r,--role}'[Members with this role]:value:(leader primary standby-leader replica standby any master)'");
    const zsh = spawnSync('zsh', ['-n'], { input: run.stdout });
    if (zsh.error === undefined) expect(zsh.status).toBe(0);
  });
});
