/**
 * The written postgresql.conf follows the data directory's PostgreSQL version
 * and the server binary's parameter list (the real postgres 15 binary).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@pgwarden/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { recoveryParameters, writeConfiguration } from './config-writer.js';
import { createContext } from './context.js';
import type { Logger } from './logger.js';
import { postgresCtlOptionsSchema } from './options.js';

const binDir = process.env['PG_BIN_DIR'] ?? '/usr/lib/postgresql/15/bin';
const dirs: TempDir[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => dir.remove()));

function contextFor(parameters: Record<string, string | number>, recoveryConf: Record<string, string> = {}) {
  const dir = makeTempDir('pgctl-conf');
  dirs.push(dir);
  const dataDir = join(dir.path, 'data');
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, 'PG_VERSION'), '15\n');
  const warnings: string[] = [];
  const logger: Logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (fields) => warnings.push(String(fields['parameter'])) };
  const options = postgresCtlOptionsSchema.parse({
    name: 'm1',
    scope: 's',
    data_dir: dataDir,
    bin_dir: binDir,
    listen: '127.0.0.1:5432',
    authentication: { superuser: { username: 'postgres' }, replication: { username: 'replicator' } },
    parameters,
    recovery_conf: recoveryConf,
  });
  return { context: createContext(options, logger, () => undefined), dataDir, warnings };
}

describe('postgresql.conf for the data directory version', () => {
  it('writes wal_keep_size, not wal_keep_segments, and no checkpoint_segments for PostgreSQL 15', () => {
    const { context, dataDir, warnings } = contextFor({ wal_keep_segments: 32, checkpoint_segments: 16, work_mem: '8MB' });
    writeConfiguration(context, undefined);
    const text = readFileSync(join(dataDir, 'postgresql.conf'), 'utf8');
    expect(text).toContain("wal_keep_size = '512MB'");
    expect(text).not.toMatch(/wal_keep_segments|checkpoint_segments/);
    expect(text).toContain("work_mem = '8MB'");
    expect(warnings).toEqual(['checkpoint_segments']);
  });

  it('writes the standby section with promote_trigger_file and recovery_target_action for a pre-12 recovery_conf', () => {
    const { context } = contextFor({}, { trigger_file: '/tmp/promote-me', pause_at_recovery_target: 'false', restore_command: 'cp /a/%f %p' });
    expect(recoveryParameters(context, undefined)).toMatchObject({
      promote_trigger_file: '/tmp/promote-me',
      recovery_target_action: 'promote',
      restore_command: 'cp /a/%f %p',
    });
    expect(Object.keys(recoveryParameters(context, undefined))).not.toContain('trigger_file');
  });

  it('takes recovery settings written under parameters as recovery settings, recovery_conf winning for the same name', () => {
    const { context, dataDir } = contextFor({ restore_command: 'cp /from-parameters/%f %p', recovery_min_apply_delay: '5min', work_mem: '4MB' }, { restore_command: 'cp /from-recovery-conf/%f %p' });
    expect(recoveryParameters(context, undefined)).toMatchObject({ restore_command: 'cp /from-recovery-conf/%f %p', recovery_min_apply_delay: '5min' });
    writeConfiguration(context, undefined);
    expect(readFileSync(join(dataDir, 'postgresql.conf'), 'utf8')).toContain("work_mem = '4MB'");
  });
});
