// Settings pgwarden does not honour yet are refused by name, in the agent's
// mode and in --validate-config's, with the place to edit; Patroni's
// defaults (or nothing) are accepted.
import { describe, expect, it } from 'vitest';
import { formatConfigIssue, loadConfig, restApiExposureWarning, unsupportedDynamicSettings } from '../../src/config/index.js';
import { BASE_YAML, edit, problemsOf } from './helpers.js';

const refused: { name: string; text: string; env?: Record<string, string>; expected: string }[] = [
  {
    name: 'a citus section',
    text: `${BASE_YAML}citus:\n  group: 0\n  database: citus\n`,
    expected: 'bad.yml:30:3: citus: Citus (MPP) clusters are not supported by pgwarden; remove the section',
  },
  {
    name: 'a citus group given by environment',
    text: BASE_YAML,
    env: { PATRONI_CITUS_GROUP: '1', PATRONI_CITUS_DATABASE: 'citus' },
    expected: 'environment variable PATRONI_CITUS_GROUP: citus: Citus (MPP) clusters are not supported by pgwarden; remove the section',
  },
  { name: 'a watchdog driver other than default', text: `${BASE_YAML}watchdog:\n  mode: automatic\n  driver: testing\n`, expected: 'bad.yml:31:11: watchdog.driver: pgwarden has only the Linux watchdog device driver (default)' },
  {
    name: 'use_unix_socket_repl',
    text: edit('\npostgresql:\n', '\npostgresql:\n  use_unix_socket_repl: true\n'),
    expected: 'bad.yml:17:25: postgresql.use_unix_socket_repl: replication connections over the Unix socket are not supported by pgwarden; set it to false or remove it',
  },
  {
    name: 'a log.format placeholder the logger cannot fill',
    text: `${BASE_YAML}log:\n  format: '%(asctime)s %(threadName)s %(message)s'\n`,
    expected: 'bad.yml:30:11: log.format: unknown field %(threadName)s; pgwarden fills asctime, levelname, levelno, message, name, process, created, msecs',
  },
  {
    name: 'a log.loggers module pgwarden has no logger for',
    text: `${BASE_YAML}log:\n  loggers:\n    botocore: DEBUG\n`,
    expected: 'bad.yml:31:15: log.loggers.botocore: pgwarden has no logger of that name; it knows patroni.postgresql.callback_executor, patroni.postgresql, patroni.dcs, patroni.api, patroni.ha, patroni, urllib3, etcd, kazoo, consul, redis and modules under them',
  },
];

describe('settings pgwarden does not support are refused by name', () => {
  for (const item of refused) {
    it(`--validate-config refuses ${item.name}`, () => {
      expect(problemsOf(item.text, { mode: 'validate', ...(item.env ? { env: item.env } : {}) })).toContain(item.expected);
    });
  }

  it('the agent refuses them too (not only --validate-config)', () => {
    const result = loadConfig([{ file: 'bad.yml', text: `${BASE_YAML}citus:\n  group: 0\n  database: citus\n` }], { mode: 'run' });
    expect(result.ok).toBe(false);
  });

  it("Patroni's defaults change nothing and are accepted", () => {
    const text = `${edit('nofailover: false', 'nofailover: false\n  sync_priority: 1').replace('    ttl: 30\n', '    ttl: 30\n    maximum_lag_on_syncnode: -1\n')}log:\n  format: '%(asctime)s %(levelname)s: %(message)s'\n  static_fields: {}\n  loggers: {}\n`;
    const result = loadConfig([{ file: 'ok.yml', text }], { mode: 'run' });
    expect(result.ok ? result.warnings : result.issues).toEqual([]);
  });

  it('log.format, dateformat, static_fields and loggers that pgwarden can honour are accepted', () => {
    const text = `${BASE_YAML}log:\n  type: json\n  format: ['asctime', {levelname: level}, 'message']\n  dateformat: '%Y-%m-%dT%H:%M:%S'\n  static_fields:\n    app: patroni\n  loggers:\n    patroni.dcs: DEBUG\n    urllib3: WARNING\n`;
    const result = loadConfig([{ file: 'ok.yml', text }], { mode: 'run' });
    expect(result.ok ? result.warnings : result.issues).toEqual([]);
  });

  it('the DCS /config has nothing refused any longer: maximum_lag_on_syncnode and standby_cluster.create_replica_methods are honoured', () => {
    expect(unsupportedDynamicSettings({ maximum_lag_on_syncnode: 1000, standby_cluster: { host: 'x', create_replica_methods: ['wal_e'] } })).toEqual([]);
    expect(unsupportedDynamicSettings({ maximum_lag_on_syncnode: -1, ttl: 30 })).toEqual([]);
  });
});

describe('a REST API reachable beyond loopback without authentication', () => {
  const exposed = edit('listen: 127.0.0.1:8008', 'listen: 0.0.0.0:8008');

  it('is a warning of --validate-config at restapi.listen, and the configuration stays valid (exit code 0)', () => {
    const result = loadConfig([{ file: 'api.yml', text: exposed }], { mode: 'validate' });
    expect(result.ok).toBe(true);
    expect(result.ok ? result.warnings.map(formatConfigIssue) : []).toEqual([
      'api.yml:4:11: warning: restapi.listen: the REST API listens on all addresses (0.0.0.0) without restapi.authentication: anyone who can reach it may switch over, restart, reinitialize or reconfigure the cluster; set restapi.authentication (username, password) or listen on 127.0.0.1',
    ]);
  });

  it('is not a warning on loopback (IPv4, IPv6, localhost) nor with authentication', () => {
    for (const listen of ['127.0.0.1:8008', "'[::1]:8008'", 'localhost:8008']) {
      expect(problemsOf(edit('listen: 127.0.0.1:8008', `listen: ${listen}`))).toEqual([]);
    }
    const withAuth = edit('  connect_address: 127.0.0.1:8008\n', '  connect_address: 127.0.0.1:8008\n  authentication:\n    username: admin\n    password: secret\n', exposed);
    expect(problemsOf(withAuth)).toEqual([]);
  });

  it('names a specific address it listens on', () => {
    const message = restApiExposureWarning(loadOk(edit('listen: 127.0.0.1:8008', 'listen: 10.0.0.5:8008')));
    expect(message).toContain('listens on 10.0.0.5 without restapi.authentication');
  });
});

function loadOk(text: string) {
  const result = loadConfig([{ file: 'ok.yml', text }]);
  if (!result.ok) throw new Error('expected a valid configuration');
  return result.config;
}
