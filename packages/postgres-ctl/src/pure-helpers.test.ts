/** The pure pieces: file content, conninfo strings, history, option lists, progress lines. */
import { describe, expect, it } from 'vitest';
import { renderPostgresqlConf } from './files/config-files.js';
import { formatConninfo, parseConnUrl, parseConninfo } from './files/conninfo.js';
import { formatLsn, parseControlData, parseLsn } from './files/controldata.js';
import { parseBasebackupProgress } from './create-replica.js';
import { optionListArguments, splitCommand } from './option-lists.js';
import { parseHistory } from './rewind.js';
import { desiredSlotNames } from './slots.js';
import { renderSynchronousStandbyNames } from './synchronous-standby-names.js';
import { redact } from './logger.js';
import { isoLocalTime } from './observe.js';
import { parseListen, postgresCtlOptionsSchema } from './options.js';
import { localHost } from './context.js';

describe('postgresql.conf rendering', () => {
  it('includes the base file first, sorts parameters, doubles quotes and keeps recovery settings in their own section', () => {
    const text = renderPostgresqlConf({
      includeFile: '/data/postgresql.base.conf',
      parameters: { work_mem: '4MB', archive_command: "cp '%p' /x", primary_conninfo: 'ignored here', hot_standby: true },
      recovery: { primary_slot_name: 'b', recovery_target_timeline: 'latest' },
    });
    expect(text.split('\n').slice(2)).toEqual([
      '',
      "include '/data/postgresql.base.conf'",
      '',
      "archive_command = 'cp ''%p'' /x'",
      "hot_standby = 'on'",
      "work_mem = '4MB'",
      '',
      '# recovery.conf',
      "primary_slot_name = 'b'",
      "recovery_target_timeline = 'latest'",
      '',
    ]);
  });
});

describe('connection strings', () => {
  it('writes Patroni\'s key order and quotes values with spaces', () => {
    expect(formatConninfo({ host: 'h', user: 'rep user', dbname: 'postgres', application_name: 'n1', port: 5432 })).toBe(
      "dbname=postgres user='rep user' host=h port=5432 application_name=n1",
    );
    expect(parseConninfo("user='rep user' host=h passfile=/x")).toEqual({ user: 'rep user', host: 'h', passfile: '/x' });
    expect(parseConnUrl('postgres://10.0.0.1:5433/app')).toEqual({ host: '10.0.0.1', port: 5433, dbname: 'app' });
    expect(parseListen('127.0.0.1,10.0.0.1:6432')).toEqual({ hosts: ['127.0.0.1', '10.0.0.1'], port: 6432 });
  });

  it('redacts passwords in conninfo strings and URLs', () => {
    expect(redact("host=h password='s3 cret' user=u")).toBe('host=h password=*** user=u');
    expect(redact('postgres://u:secret@h:5432/db')).toBe('postgres://u:***@h:5432/db');
  });
});

describe('WAL positions and history', () => {
  it('parses and formats LSNs as bytes', () => {
    expect(parseLsn('1/3000028')).toBe(2 ** 32 + 0x3000028);
    expect(formatLsn(2 ** 32 + 0x3000028)).toBe('1/3000028');
    expect(parseLsn('garbage')).toBeUndefined();
  });

  it('parses timeline history lines and pg_controldata output', () => {
    expect(parseHistory('1\t0/3000158\tno recovery target specified\n\n2\t0/5000000\tbefore x\n')).toEqual([
      { parentTimeline: 1, switchpoint: 0x3000158 },
      { parentTimeline: 2, switchpoint: 0x5000000 },
    ]);
    expect(parseControlData("Database cluster state:               shut down\nLatest checkpoint's TimeLineID:       2\n")).toEqual({
      'Database cluster state': 'shut down',
      "Latest checkpoint's TimeLineID": '2',
    });
  });
});

describe('option lists and commands', () => {
  it('turns Patroni option lists into arguments and refuses the ones pgwarden sets', () => {
    expect(optionListArguments(['data-checksums', { encoding: 'UTF8' }], [], 'initdb')).toEqual(['--data-checksums', '--encoding=UTF8']);
    expect(optionListArguments({ 'max-rate': '100M', checkpoint: 'fast' }, [], 'basebackup')).toEqual(['--max-rate=100M', '--checkpoint=fast']);
    expect(() => optionListArguments(['pgdata'], ['pgdata'], 'initdb')).toThrow(/initdb option "pgdata" is set by pgwarden/);
    expect(splitCommand(`/usr/bin/restore --from "my backup" 'x y'`)).toEqual(['/usr/bin/restore', '--from', 'my backup', 'x y']);
  });

  it('reads pg_basebackup progress lines as bytes', () => {
    expect(parseBasebackupProgress('    0/22853 kB (0%), 0/1 tablespace\n22870/22870 kB (100%), 1/1 tablespace\n')).toEqual({
      doneBytes: 22870 * 1024,
      totalBytes: 22870 * 1024,
    });
    expect(parseBasebackupProgress('pg_basebackup: initiating base backup')).toBeUndefined();
  });
});

describe('slots and synchronous_standby_names', () => {
  it('wants one slot per other member plus permanent slots, never our own', () => {
    expect(desiredSlotNames('node-1', { members: ['node-1', 'node-2', 'Node.3'], permanent: ['archiver', 'Bad-Name'] })).toEqual([
      'archiver',
      'node_2',
      'node_3',
    ]);
  });

  it('renders priority and quorum syntax and quotes names that need it', () => {
    expect(renderSynchronousStandbyNames([])).toBe('');
    expect(renderSynchronousStandbyNames(['b'])).toBe('b');
    expect(renderSynchronousStandbyNames(['b', 'node-3'])).toBe('2 (b,"node-3")');
    expect(renderSynchronousStandbyNames(['b', 'c', 'd'], { count: 1 })).toBe('1 (b,c,d)');
    expect(renderSynchronousStandbyNames(['b', 'c', 'd'], { mode: 'quorum', count: 2 })).toBe('ANY 2 (b,c,d)');
  });
});

describe('the local connection host', () => {
  const options = (listen: string, extra: Record<string, unknown> = {}) =>
    postgresCtlOptionsSchema.parse({
      name: 'n',
      scope: 's',
      data_dir: '/d',
      listen,
      authentication: { superuser: { username: 'postgres' }, replication: { username: 'r' } },
      ...extra,
    });

  it('uses loopback for wildcard listens, the first address otherwise, and the socket directory when asked', () => {
    expect(localHost(options('*:5432'))).toBe('127.0.0.1');
    expect(localHost(options('10.0.0.5,10.0.0.6:5432'))).toBe('10.0.0.5');
    expect(localHost(options('0.0.0.0:5432', { use_unix_socket: true, parameters: { unix_socket_directories: '@abstract, /run/pg' } }))).toBe('/run/pg');
  });
});

describe('isoLocalTime (the timestamp of a /history line, as Patroni writes it)', () => {
  const withTimeZone = (zone: string, run: () => void): void => {
    const before = process.env['TZ'];
    process.env['TZ'] = zone;
    try {
      run();
    } finally {
      if (before === undefined) delete process.env['TZ'];
      else process.env['TZ'] = before;
    }
  };
  const at = 1_764_961_200_123_456_789n; // 2025-12-05T19:00:00.123456789Z: .123457 once rounded

  it('is local time with microseconds and the UTC offset', () => {
    withTimeZone('UTC', () => expect(isoLocalTime(at)).toBe('2025-12-05T19:00:00.123457+00:00'));
    withTimeZone('Europe/Berlin', () => expect(isoLocalTime(at)).toBe('2025-12-05T20:00:00.123457+01:00'));
    withTimeZone('America/St_Johns', () => expect(isoLocalTime(at)).toBe('2025-12-05T15:30:00.123457-03:30'));
  });

  it('leaves the fraction out when it is zero, as isoformat() does, and rounds nanoseconds to microseconds', () => {
    withTimeZone('UTC', () => {
      expect(isoLocalTime(1_764_961_200_000_000_000n)).toBe('2025-12-05T19:00:00+00:00');
      expect(isoLocalTime(1_764_961_200_999_999_600n)).toBe('2025-12-05T19:00:01+00:00');
    });
  });
});
