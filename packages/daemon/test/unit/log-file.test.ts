/**
 * `log.dir`: <dir>/patroni.log, rotated by size like Patroni's
 * RotatingFileHandler, and the `log` section choosing format and target.
 */
import { makeTempDir, type TempDir } from '@pgwarden/testkit';
import type { PatroniConfig } from '@pgwarden/core';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RotatingLogFile } from '../../src/log-file.js';
import { makeLogger } from '../../src/run-agent.js';
import { memberConfig } from '../doubles.js';

let temp: TempDir;
beforeEach(() => {
  temp = makeTempDir('log-file');
});
afterEach(() => temp.remove());

function configWithLog(logSection: string): PatroniConfig {
  return memberConfig([logSection], '/tmp/pgwarden-log-file-test');
}

describe('RotatingLogFile', () => {
  it('appends to patroni.log and rotates before a record would pass file_size, keeping file_num old files', () => {
    const file = new RotatingLogFile({ dir: join(temp.path, 'logs'), fileSize: 30, fileNum: 2 });
    for (let index = 1; index <= 7; index++) file.write(`record number ${index}\n`); // 16 bytes each: one per file
    file.close();
    const dir = join(temp.path, 'logs');
    expect(readdirSync(dir).sort()).toEqual(['patroni.log', 'patroni.log.1', 'patroni.log.2']);
    expect(readFileSync(join(dir, 'patroni.log'), 'utf8')).toBe('record number 7\n');
    expect(readFileSync(join(dir, 'patroni.log.1'), 'utf8')).toBe('record number 6\n');
    expect(readFileSync(join(dir, 'patroni.log.2'), 'utf8')).toBe('record number 5\n');
  });

  it('continues an existing file after a restart and counts its size', () => {
    const dir = join(temp.path, 'logs');
    const first = new RotatingLogFile({ dir, fileSize: 40 });
    first.write('0123456789012345678901234567890\n'); // 32 bytes
    first.close();
    const second = new RotatingLogFile({ dir, fileSize: 40 });
    second.write('next record\n');
    second.close();
    expect(readFileSync(join(dir, 'patroni.log'), 'utf8')).toBe('next record\n');
    expect(readFileSync(join(dir, 'patroni.log.1'), 'utf8')).toBe('0123456789012345678901234567890\n');
  });

  it('creates the file with log.mode', () => {
    const file = new RotatingLogFile({ dir: temp.path, mode: 0o640 });
    file.write('x\n');
    file.close();
    expect(statSync(join(temp.path, 'patroni.log')).mode & 0o777).toBe(0o640 & ~process.umask());
  });

  it('falls back to stderr with one warning when the directory cannot be written, and loses no record', () => {
    const fallback: string[] = [];
    const blocked = join(temp.path, 'blocked');
    const file = new RotatingLogFile({ dir: join(blocked, 'sub'), fallback: { write: (line) => fallback.push(line) } });
    // A regular file where the directory should be: mkdir fails even for root.
    writeFileSync(blocked, 'not a directory');
    file.write('one\n');
    file.write('two\n');
    expect(fallback.filter((line) => line.includes('cannot write the log file'))).toHaveLength(1);
    expect(fallback.filter((line) => line === 'one\n' || line === 'two\n')).toHaveLength(2);
  });
});

describe('the log section', () => {
  it('log.dir sends records to <dir>/patroni.log instead of stderr', () => {
    const dir = join(temp.path, 'agent-logs');
    const logger = makeLogger(configWithLog(`log: {dir: ${dir}, level: DEBUG}`), {});
    logger.debug({ cycle: 1 }, 'no action. I am (node1), the leader with the lock');
    const records = readFileSync(join(dir, 'patroni.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toEqual([expect.objectContaining({ level: 'debug', member: 'node1', scope: 'demo', msg: 'no action. I am (node1), the leader with the lock' })]);
  });

  it('an explicit log.type: plain writes readable lines; PGWARDEN_LOG_FORMAT wins over the file', () => {
    const dir = join(temp.path, 'plain');
    makeLogger(configWithLog(`log: {dir: ${dir}, type: plain}`), {}).info({}, 'hello');
    expect(readFileSync(join(dir, 'patroni.log'), 'utf8')).toMatch(/ INFO: hello member=node1 scope=demo\n$/);
    const jsonDir = join(temp.path, 'json');
    makeLogger(configWithLog(`log: {dir: ${jsonDir}, type: plain}`), { PGWARDEN_LOG_FORMAT: 'json' }).info({}, 'hello');
    expect(JSON.parse(readFileSync(join(jsonDir, 'patroni.log'), 'utf8'))).toMatchObject({ msg: 'hello' });
  });
});
