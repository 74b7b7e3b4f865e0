import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { isPgwardenError } from '@pgwarden/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '@pgwarden/testkit';
import { installHaproxyConfig, renderHaproxyConfig } from '../src/index.js';
import { cluster, member } from './support/cluster.js';

let dir: TempDir;
let live: string;
const two = cluster(member('node1', '127.0.0.1'), member('node2', '127.0.0.2'));

beforeEach(() => {
  dir = makeTempDir('haproxy-gen-install');
  live = join(dir.path, 'haproxy.cfg');
});
afterEach(() => dir.remove());

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isPgwardenError(error)) return error.code;
    throw error;
  }
  return 'no error';
}

describe('installHaproxyConfig', () => {
  it('installs an accepted render and reports it changed, then skips the identical text', async () => {
    const text = renderHaproxyConfig(two);
    expect(await installHaproxyConfig(text, { path: live, reload: { method: 'none' } })).toMatchObject({ changed: true, reloaded: false });
    expect(readFileSync(live, 'utf8')).toBe(text);
    expect(await installHaproxyConfig(text, { path: live, reload: { method: 'none' } })).toMatchObject({ changed: false });
    expect(readdirSync(dir.path)).toEqual(['haproxy.cfg']);
  });

  it('never installs a render HAProxy rejects, leaves the live file intact and no temp file behind', async () => {
    const good = renderHaproxyConfig(two);
    writeFileSync(live, good);
    const bad = renderHaproxyConfig(two, { extraDefaults: ['option no-such-option'] });
    let message = '';
    try {
      await installHaproxyConfig(bad, { path: live, reload: { method: 'signal', pid: 1 } });
    } catch (error) {
      expect(isPgwardenError(error, 'haproxy-config-rejected')).toBe(true);
      message = (error as Error).message;
    }
    expect(message).toMatch(/no-such-option/);
    expect(readFileSync(live, 'utf8')).toBe(good);
    expect(readdirSync(dir.path)).toEqual(['haproxy.cfg']);
  });

  it('refuses invalid options before anything is written', async () => {
    const code = await codeOf((async () => installHaproxyConfig(renderHaproxyConfig(two, { primary: { port: 0 } }), { path: live, reload: { method: 'none' } }))());
    expect(code).toBe('haproxy-invalid-options');
    expect(existsSync(live)).toBe(false);
    expect(readdirSync(dir.path)).toEqual([]);
  });

  it('reports a reload that cannot be requested as haproxy-reload-failed, after installing', async () => {
    const code = await codeOf(installHaproxyConfig(renderHaproxyConfig(two), { path: live, reload: { method: 'signal', pidFile: join(dir.path, 'missing.pid') } }));
    expect(code).toBe('haproxy-reload-failed');
    expect(existsSync(live)).toBe(true);
  });

  it('runs a reload command and reports its failure with its output', async () => {
    const text = renderHaproxyConfig(two);
    expect(await installHaproxyConfig(text, { path: live, reload: { method: 'command', argv: ['true'] } })).toMatchObject({ reloaded: true });
    const code = await codeOf(installHaproxyConfig(text, { path: live, force: true, reload: { method: 'command', argv: ['sh', '-c', 'echo nope >&2; exit 3'] } }));
    expect(code).toBe('haproxy-reload-failed');
  });
});
