/**
 * The demo, started and stopped as a user would: it comes up healthy, routes
 * through HAProxy, and on Ctrl-C leaves no process and no file behind; after
 * a demo was killed (no chance to clean up), the next run cleans up after it
 * by itself and comes up healthy.
 */
import { makeTempDir, startProcess, type TempDir, type TestProcess } from '@pgwarden/testkit';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanStaleDemo } from '../src/demo/demo-processes.js';
import { healthy, listJson, REPO_ROOT } from './helpers/cluster.js';

let temp: TempDir;
let stateFile: string;
const started: TestProcess[] = [];

function startDemo(): TestProcess {
  const demo = startProcess(
    process.execPath,
    ['--import', 'tsx', '--conditions=pgwarden-source', 'packages/cli/src/demo/run-demo.ts', '--free-ports', '--from-source', '--state-file', stateFile],
    { cwd: REPO_ROOT },
  );
  started.push(demo);
  return demo;
}

async function waitForOutput(demo: TestProcess, text: string, timeoutMs = 150_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!demo.output().includes(text)) {
    if (demo.child.exitCode !== null) throw new Error(`demo exited (${demo.child.exitCode}):\n${demo.output()}`);
    if (Date.now() > deadline) throw new Error(`demo did not print "${text}":\n${demo.output()}`);
    await new Promise((done) => setTimeout(done, 250));
  }
  return demo.output();
}

function processesMentioning(path: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function outputValue(output: string, pattern: RegExp): string {
  const match = pattern.exec(output);
  if (match?.[1] === undefined) throw new Error(`no ${pattern} in:\n${output}`);
  return match[1];
}

async function inRecovery(port: number): Promise<boolean | undefined> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    return (await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r;
  } finally {
    await client.end();
  }
}

beforeAll(() => {
  temp = makeTempDir('demo-test');
  stateFile = join(temp.path, 'demo.state.json');
});

/** A test that failed half-way leaves its demo running: stop it before the next test starts one. */
async function stopStarted(): Promise<void> {
  for (const demo of started.splice(0)) await demo.stop('SIGINT', 60_000);
}

afterEach(stopStarted, 180_000);

afterAll(async () => {
  await stopStarted();
  // A demo killed by the second test and never cleaned up by a next run: stop what its state file names.
  if (stateFile !== undefined) await cleanStaleDemo(stateFile, () => undefined);
  temp?.remove();
}, 180_000);

describe('the demo', () => {
  it('comes up healthy behind HAProxy, and Ctrl-C stops every process and removes its data', async () => {
    const demo = startDemo();
    const output = await waitForOutput(demo, 'Press Ctrl-C');
    const baseDir = outputValue(output, /Data and logs: (\S+)/);
    const ctlConfig = outputValue(output, /export PATRONICTL_CONFIG_FILE=(\S+)/);
    expect(output).toMatch(/\| Member \| Host +\| Role +\| State +\| TL \| Lag in MB \|/);
    expect(healthy(await listJson(ctlConfig))).toBe(true);
    expect(await inRecovery(Number(outputValue(output, /primary \(read-write\): +psql "host=127\.0\.0\.1 port=(\d+)/)))).toBe(false);
    expect(await inRecovery(Number(outputValue(output, /replicas \(read-only\): +psql "host=127\.0\.0\.1 port=(\d+)/)))).toBe(true);
    expect(processesMentioning(baseDir).length).toBeGreaterThanOrEqual(5);

    demo.child.kill('SIGINT');
    expect(await demo.exited()).toBe(0);
    expect(demo.output()).toContain(`Stopped every process of the demo and removed ${baseDir}.`);
    expect(existsSync(baseDir)).toBe(false);
    expect(existsSync(stateFile)).toBe(false);
    expect(processesMentioning(baseDir)).toEqual([]);
  }, 200_000);

  it('a second run after a killed one cleans up by itself and comes up healthy', async () => {
    const killed = startDemo();
    const firstOutput = await waitForOutput(killed, 'Press Ctrl-C');
    const firstBase = outputValue(firstOutput, /Data and logs: (\S+)/);
    killed.child.kill('SIGKILL');
    await killed.exited();
    expect(processesMentioning(firstBase).length).toBeGreaterThan(0);

    const second = startDemo();
    const output = await waitForOutput(second, 'Press Ctrl-C');
    expect(output).toContain(`Cleaning up after a previous demo that did not stop cleanly (${firstBase})`);
    expect(processesMentioning(firstBase)).toEqual([]);
    expect(existsSync(firstBase)).toBe(false);
    const secondBase = outputValue(output, /Data and logs: (\S+)/);
    expect(healthy(await listJson(outputValue(output, /export PATRONICTL_CONFIG_FILE=(\S+)/)))).toBe(true);
    second.child.kill('SIGINT');
    expect(await second.exited()).toBe(0);
    expect(processesMentioning(secondBase)).toEqual([]);
    expect(existsSync(secondBase)).toBe(false);
  }, 300_000);
});
