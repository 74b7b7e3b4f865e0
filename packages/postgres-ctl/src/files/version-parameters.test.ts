/** Parameters written for a YAML of another PostgreSQL version: converted or dropped, never fatal to the server. */
import { describe, expect, it } from 'vitest';
import { adaptParametersToVersion, adaptRecoveryToVersion, majorVersionNumber } from './version-parameters.js';

const known = new Set(['wal_keep_size', 'wal_level', 'work_mem', 'promote_trigger_file', 'recovery_target_action', 'restore_command', 'recovery_min_apply_delay']);

describe('server parameters for the major version', () => {
  it('turns wal_keep_segments into wal_keep_size in MB on 13+ (16 MB segments)', () => {
    expect(adaptParametersToVersion({ wal_keep_segments: 20 }, 150000, known).parameters).toEqual({ wal_keep_size: '320MB' });
    expect(adaptParametersToVersion({ wal_keep_segments: '5' }, 130000, known).parameters).toEqual({ wal_keep_size: '80MB' });
  });

  it('keeps an explicit wal_keep_size over the converted segments on 13+', () => {
    expect(adaptParametersToVersion({ wal_keep_segments: 20, wal_keep_size: '1GB' }, 150000, known).parameters).toEqual({ wal_keep_size: '1GB' });
  });

  it('defaults wal_keep_size to 8 segments (128MB) on 13+ when neither is set', () => {
    expect(adaptParametersToVersion({}, 150000, known).parameters).toEqual({ wal_keep_size: '128MB' });
  });

  it('turns wal_keep_size into whole segments, rounded to the nearest, before 13', () => {
    expect(adaptParametersToVersion({ wal_keep_size: '1GB' }, 120000, undefined).parameters).toEqual({ wal_keep_segments: 64 });
    expect(adaptParametersToVersion({ wal_keep_size: '40MB' }, 120000, undefined).parameters).toEqual({ wal_keep_segments: 3 });
    expect(adaptParametersToVersion({}, 110000, undefined).parameters).toEqual({ wal_keep_segments: 8 });
  });

  it('spells wal_level for the version', () => {
    expect(adaptParametersToVersion({ wal_level: 'hot_standby' }, 150000, known).parameters['wal_level']).toBe('replica');
    expect(adaptParametersToVersion({ wal_level: 'replica' }, 90500, undefined).parameters['wal_level']).toBe('hot_standby');
  });

  it('drops a parameter the server does not know (checkpoint_segments on 15) and names it', () => {
    const result = adaptParametersToVersion({ checkpoint_segments: 16, work_mem: '4MB' }, 150000, known);
    expect(result.parameters).toEqual({ work_mem: '4MB', wal_keep_size: '128MB' });
    expect(result.removed).toEqual(['checkpoint_segments']);
  });

  it('keeps extension settings (names with a dot) the server binary does not list', () => {
    expect(adaptParametersToVersion({ 'pg_stat_statements.max': 1000 }, 150000, known).parameters['pg_stat_statements.max']).toBe(1000);
  });

  it('changes nothing while the version is unknown (no PG_VERSION yet)', () => {
    expect(adaptParametersToVersion({ wal_keep_segments: 8, checkpoint_segments: 3 }, 0, known)).toEqual({
      parameters: { wal_keep_segments: 8, checkpoint_segments: 3 },
      removed: [],
    });
  });
});

describe('recovery settings for the major version', () => {
  it('renames trigger_file to promote_trigger_file on 12+ and back before 12', () => {
    expect(adaptRecoveryToVersion({ trigger_file: '/tmp/t' }, 150000, known).parameters).toEqual({ promote_trigger_file: '/tmp/t' });
    expect(adaptRecoveryToVersion({ promote_trigger_file: '/tmp/t' }, 110000, undefined).parameters).toEqual({ trigger_file: '/tmp/t' });
  });

  it('turns pause_at_recovery_target into recovery_target_action on 9.5+, an explicit action winning', () => {
    expect(adaptRecoveryToVersion({ pause_at_recovery_target: 'off' }, 150000, known).parameters).toEqual({ recovery_target_action: 'promote' });
    expect(adaptRecoveryToVersion({ pause_at_recovery_target: true }, 150000, known).parameters).toEqual({ recovery_target_action: 'pause' });
    expect(adaptRecoveryToVersion({ pause_at_recovery_target: true, recovery_target_action: 'shutdown' }, 150000, known).parameters).toEqual({
      recovery_target_action: 'shutdown',
    });
  });

  it('turns recovery_target_action=promote into pause_at_recovery_target=false before 9.5', () => {
    expect(adaptRecoveryToVersion({ recovery_target_action: 'promote' }, 90400, undefined).parameters).toEqual({ pause_at_recovery_target: 'false' });
  });

  it('drops promote_trigger_file on a server without it (16+) and standby_mode on 12+', () => {
    const result = adaptRecoveryToVersion({ promote_trigger_file: '/tmp/t', standby_mode: 'on', restore_command: 'cp' }, 160000, new Set(['restore_command']));
    expect(result.parameters).toEqual({ restore_command: 'cp' });
    expect(result.removed).toEqual(['promote_trigger_file']);
  });
});

describe('PG_VERSION', () => {
  it('reads new and old version spellings as server_version_num majors', () => {
    expect([majorVersionNumber('15\n'), majorVersionNumber('9.6\n'), majorVersionNumber('garbage')]).toEqual([150000, 90600, 0]);
  });
});
