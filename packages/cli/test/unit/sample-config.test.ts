// `pgwarden --generate-sample-config`: the sample is valid as written and
// keeps Patroni's sections and defaults; the bin prints it or writes a new file.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@pgwarden/core';
import { makeTempDir } from '@pgwarden/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runAgentCli, type AgentCliIo } from '../../src/agent-cli.js';
import { renderSampleConfig } from '../../src/sample-config.js';

const temp = makeTempDir('sample-config');
afterAll(() => temp.remove());

function captureIo(): AgentCliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (text) => out.push(text), stderr: (text) => err.push(text), env: {} };
}

describe('renderSampleConfig', () => {
  it('passes the full validation of --validate-config with no warning', () => {
    const text = renderSampleConfig({ name: 'db1.example.com', address: '10.0.0.11', binDir: '/usr/lib/postgresql/15/bin' });
    const result = loadConfig([{ file: 'sample.yml', text }], { mode: 'validate' });
    expect(result.ok ? result.warnings : result.issues).toEqual([]);
  });

  it("holds Patroni's sections, this host's addresses and the bootstrap defaults", () => {
    const sample = parse(renderSampleConfig({ name: 'db1', address: '10.0.0.11' })) as Record<string, Record<string, unknown>>;
    expect(Object.keys(sample)).toEqual(['scope', 'namespace', 'name', 'restapi', 'etcd3', 'bootstrap', 'postgresql', 'watchdog', 'tags']);
    expect(sample['restapi']).toEqual({ listen: '10.0.0.11:8008', authentication: { username: 'pgwarden', password: 'change-me' }, connect_address: '10.0.0.11:8008' });
    expect(sample['postgresql']?.['connect_address']).toBe('10.0.0.11:5432');
    expect(sample['postgresql']?.['bin_dir']).toBe('');
    expect(sample['bootstrap']?.['dcs']).toMatchObject({ ttl: 30, loop_wait: 10, retry_timeout: 10, maximum_lag_on_failover: 1048576 });
  });

  it('brackets an IPv6 address in host:port values', () => {
    const sample = parse(renderSampleConfig({ name: 'db1', address: 'fd00::11' })) as { restapi: { listen: string } };
    expect(sample.restapi.listen).toBe('[fd00::11]:8008');
  });
});

describe('pgwarden --generate-sample-config', () => {
  it('prints the sample on standard output', async () => {
    const io = captureIo();
    expect(await runAgentCli(['--generate-sample-config'], io)).toBe(0);
    expect(io.err).toEqual([]);
    expect(io.out.join('')).toMatch(/^# pgwarden \(and Patroni\) configuration of member /);
  });

  it('writes a new file readable only by its owner (it holds passwords)', async () => {
    const file = join(temp.path, 'new.yml');
    const io = captureIo();
    expect(await runAgentCli(['--generate-sample-config', file], io)).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('scope: postgres-cluster');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses to overwrite an existing file, with one line and exit 1', async () => {
    const file = join(temp.path, 'existing.yml');
    writeFileSync(file, 'scope: mine\n');
    const io = captureIo();
    expect(await runAgentCli(['--generate-sample-config', file], io)).toBe(1);
    expect(io.err).toEqual([`pgwarden: ${file} exists; not overwriting it (remove it or name another file)\n`]);
    expect(readFileSync(file, 'utf8')).toBe('scope: mine\n');
  });

  it('--version prints `pgwarden X.Y.Z`', async () => {
    const io = captureIo();
    expect(await runAgentCli(['--version'], io)).toBe(0);
    expect(io.out.join('')).toMatch(/^pgwarden \d+\.\d+\.\d+\n$/);
  });
});
