// Each bad input must be reported at the key path and the file position that
// a person has to edit, with what was expected and what was found.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { BASE_YAML, edit, problemsOf } from './helpers.js';

interface BadCase {
  readonly name: string;
  readonly text: string;
  readonly env?: Record<string, string>;
  readonly expected: string;
}

const cases: BadCase[] = [
  {
    name: 'ttl below its minimum of 20, where the fast profile can not run it',
    text: edit('ttl: 30', 'ttl: 10'),
    expected: "bad.yml:10:10: bootstrap.dcs.ttl: ttl=10 is below Patroni's minimum 20 and the fast timing profile can not run it: loop_wait + 2*retry_timeout must be <= ttl, found 10 + 2*10 > 10",
  },
  { name: 'loop_wait below its minimum of 1', text: edit('loop_wait: 10', 'loop_wait: 0'), expected: 'bad.yml:11:16: bootstrap.dcs.loop_wait: expected an integer >= 1, found number 0' },
  {
    name: 'retry_timeout below the fast profile’s minimum of 1',
    text: edit('retry_timeout: 10', 'retry_timeout: 0'),
    expected: "bad.yml:12:20: bootstrap.dcs.retry_timeout: retry_timeout=0 is below Patroni's minimum 3 and the fast timing profile can not run it: retry_timeout=0 is below the fast profile's minimum 1",
  },
  {
    name: 'loop_wait + 2*retry_timeout greater than ttl',
    text: edit('ttl: 30', 'ttl: 25'),
    expected: 'bad.yml:11:16: bootstrap.dcs.loop_wait: loop_wait + 2*retry_timeout must be <= ttl, found 10 + 2*10 > 25 (the agent would run with loop_wait=5, retry_timeout=10)',
  },
  { name: 'ttl that is not a number', text: edit('ttl: 30', 'ttl: thirty'), expected: 'bad.yml:10:10: bootstrap.dcs.ttl: expected an integer, found string "thirty"' },
  { name: 'missing scope', text: edit('scope: batman\n', ''), expected: 'bad.yml:1:1: scope: missing: expected a string' },
  { name: 'missing name', text: edit('name: postgresql0\n', ''), expected: 'bad.yml:1:1: name: missing: expected a string' },
  { name: 'missing postgresql.data_dir', text: edit('  data_dir: /var/lib/postgresql/15/main\n', ''), expected: 'bad.yml:16:1: postgresql.data_dir: missing: expected a string' },
  { name: 'restapi.listen without a port', text: edit('listen: 127.0.0.1:8008', 'listen: 127.0.0.1'), expected: 'bad.yml:4:11: restapi.listen: expected "host:port" with a port between 1 and 65535, found string "127.0.0.1"' },
  { name: 'postgresql.listen without a port', text: edit('listen: 127.0.0.1:5432', 'listen: 127.0.0.1,10.0.0.1'), expected: 'bad.yml:17:11: postgresql.listen: expected "host[,host...]:port" with a port between 1 and 65535, found string "127.0.0.1,10.0.0.1"' },
  { name: 'restapi.listen port out of range', text: edit('listen: 127.0.0.1:8008', 'listen: 127.0.0.1:80080'), expected: 'bad.yml:4:11: restapi.listen: expected "host:port" with a port between 1 and 65535, found string "127.0.0.1:80080"' },
  { name: 'connect_address on a wildcard address', text: edit('connect_address: 127.0.0.1:8008', 'connect_address: 0.0.0.0:8008'), expected: 'bad.yml:5:20: restapi.connect_address: expected an address other members can connect to (not a wildcard such as 0.0.0.0 or *), found string "0.0.0.0:8008"' },
  { name: 'both etcd3 and consul', text: edit('etcd3:\n', 'consul:\n  host: 127.0.0.1:8500\netcd3:\n'), expected: 'bad.yml:7:3: consul: expected exactly one DCS section, but etcd3 is also set, found a map' },
  { name: 'neither etcd3 nor consul', text: edit('etcd3:\n  host: 127.0.0.1:2379\n', ''), expected: 'bad.yml:1:1: expected a DCS section: etcd3, consul, redis or zookeeper' },
  { name: 'a DCS pgwarden does not support', text: edit('etcd3:\n  host: 127.0.0.1:2379\n', 'exhibitor:\n  hosts: [127.0.0.1]\n'), expected: 'bad.yml:7:3: exhibitor: expected a DCS pgwarden supports: etcd3, consul, redis or zookeeper, found a map' },
  { name: 'an etcd (v2) section', text: edit('etcd3:\n', 'etcd:\n'), expected: 'bad.yml:7:3: etcd: expected a DCS pgwarden supports: etcd3, consul, redis or zookeeper (for etcd 3.x rename the section to etcd3: the keys are the same), found a map' },
  { name: 'etcd3 without any endpoint', text: edit('  host: 127.0.0.1:2379\n', '  protocol: http\n'), expected: 'bad.yml:7:3: etcd3: expected one of host, hosts, url, proxy or srv, found a map' },
  { name: 'redis without any server', text: edit('etcd3:\n  host: 127.0.0.1:2379\n', 'redis:\n  mode: standalone\n'), expected: 'bad.yml:7:3: redis: expected one of host, hosts, url or sentinels, found a map' },
  { name: 'redis with an unknown mode', text: edit('etcd3:\n  host: 127.0.0.1:2379\n', 'redis:\n  host: 127.0.0.1:6379\n  mode: cluster\n'), expected: 'bad.yml:8:9: redis.mode: expected one of standalone, replicated, found string "cluster"' },
  { name: 'request_queue_size above 4096', text: edit('  connect_address: 127.0.0.1:8008\n', '  connect_address: 127.0.0.1:8008\n  request_queue_size: 5000\n'), expected: 'bad.yml:6:23: restapi.request_queue_size: expected an integer between 0 and 4096, found number 5000' },
  { name: 'a tag of the wrong type', text: edit('nofailover: false', 'nofailover: maybe'), expected: 'bad.yml:28:15: tags.nofailover: expected a boolean (true or false), found string "maybe"' },
  { name: 'an unknown log level', text: `${BASE_YAML}log:\n  level: VERBOSE\n`, expected: 'bad.yml:30:10: log.level: expected one of DEBUG, INFO, WARN, WARNING, ERROR, FATAL, CRITICAL, found string "VERBOSE"' },
  { name: 'an unknown verify_client', text: edit('  connect_address: 127.0.0.1:8008\n', '  connect_address: 127.0.0.1:8008\n  verify_client: sometimes\n'), expected: 'bad.yml:6:18: restapi.verify_client: expected one of none, optional, required, found string "sometimes"' },
  { name: 'an unknown watchdog mode', text: `${BASE_YAML}watchdog:\n  mode: always\n`, expected: 'bad.yml:30:9: watchdog.mode: expected one of off, automatic, required, found string "always"' },
  { name: 'an unknown etcd3 protocol', text: edit('  host: 127.0.0.1:2379\n', '  host: 127.0.0.1:2379\n  protocol: ftp\n'), expected: 'bad.yml:8:13: etcd3.protocol: expected one of http, https, found string "ftp"' },
  { name: 'synchronous_mode that is neither boolean nor quorum', text: edit('    ttl: 30\n', '    ttl: 30\n    synchronous_mode: sometimes\n'), expected: 'bad.yml:11:23: bootstrap.dcs.synchronous_mode: expected a boolean or "quorum", found string "sometimes"' },
  { name: 'max_connections of 0 in bootstrap.dcs', text: edit('max_connections: 100', 'max_connections: 0'), expected: 'bad.yml:15:26: bootstrap.dcs.postgresql.parameters.max_connections: expected an integer between 1 and 262143, found number 0' },
  { name: 'a replication user without username', text: edit('      username: replicator\n', ''), expected: 'bad.yml:24:5: postgresql.authentication.replication.username: missing: expected a string' },
  { name: 'a replica method without its section', text: edit('  data_dir: /var/lib/postgresql/15/main\n', '  data_dir: /var/lib/postgresql/15/main\n  create_replica_methods:\n  - pgbackrest\n  - basebackup\n'), expected: 'bad.yml:21:5: postgresql.create_replica_methods[0]: expected a replica method with a section postgresql.pgbackrest that has a command, found string "pgbackrest"' },
  { name: 'a custom bootstrap method without command', text: edit('bootstrap:\n', 'bootstrap:\n  method: clone\n  clone:\n    keep_existing_recovery_conf: true\n'), expected: 'bad.yml:10:3: bootstrap.clone.command: missing: expected a string' },
  { name: 'an initdb option Patroni sets itself', text: edit('bootstrap:\n', 'bootstrap:\n  initdb:\n  - pgdata: /tmp/x\n'), expected: 'bad.yml:10:5: bootstrap.initdb[0]: expected an initdb option other than pgdata, nosync, pwfile, sync-only, version (Patroni sets it), found a map' },
  { name: 'a logical permanent slot without database', text: edit('    ttl: 30\n', '    ttl: 30\n    slots:\n      cdc:\n        type: logical\n        plugin: pgoutput\n'), expected: 'bad.yml:12:7: bootstrap.dcs.slots.cdc.database: missing: expected a string (required for a logical slot)' },
  { name: 'malformed YAML (unclosed quote)', text: edit('name: postgresql0', 'name: "postgresql0'), expected: 'bad.yml:2:7: invalid YAML: Missing closing "quote (the string that starts here is never closed)' },
  { name: 'malformed YAML (duplicate key)', text: edit('name: postgresql0\n', 'name: postgresql0\nname: postgresql1\n'), expected: 'bad.yml:3:1: invalid YAML: Map keys must be unique' },
  { name: 'a list at the top level', text: '- scope: batman\n', expected: 'bad.yml:1:1: expected a map of settings at the top level' },
  { name: 'an empty file', text: '# nothing here\n', expected: 'bad.yml:1:1: the configuration is empty' },
  { name: 'an env var that is not an integer', text: BASE_YAML, env: { PATRONI_RESTAPI_REQUEST_QUEUE_SIZE: 'lots' }, expected: 'environment variable PATRONI_RESTAPI_REQUEST_QUEUE_SIZE: restapi.request_queue_size: expected an integer between 0 and 4096, found string "lots"' },
  { name: 'an env var that is not a boolean', text: BASE_YAML, env: { PATRONI_CTL_INSECURE: 'perhaps' }, expected: 'environment variable PATRONI_CTL_INSECURE: ctl.insecure: expected a boolean (true or false), found string "perhaps"' },
  { name: 'an env listen address without port', text: BASE_YAML, env: { PATRONI_POSTGRESQL_LISTEN: '127.0.0.1' }, expected: 'environment variable PATRONI_POSTGRESQL_LISTEN: postgresql.listen: expected "host[,host...]:port" with a port between 1 and 65535, found string "127.0.0.1"' },
  { name: 'an env DCS port that is not a number', text: BASE_YAML, env: { PATRONI_ETCD3_PORT: 'twentythree' }, expected: 'environment variable PATRONI_ETCD3_PORT: etcd3.port: expected an integer between 1 and 65535, found string "twentythree"' },
  { name: 'an env log level that does not exist', text: BASE_YAML, env: { PATRONI_LOGLEVEL: 'LOUD' }, expected: 'environment variable PATRONI_LOG_LEVEL: log.level: expected one of DEBUG, INFO, WARN, WARNING, ERROR, FATAL, CRITICAL, found string "LOUD"' },
];

describe('bad configuration input', () => {
  it.each(cases)('$name is reported with its key path and position', ({ text, env, expected }) => {
    expect(problemsOf(text, { mode: 'validate', ...(env ? { env } : {}) })).toContain(expected);
  });

  it('reports every problem of a file at once, not only the first', () => {
    let text = edit('scope: batman\n', '');
    text = edit('ttl: 30', 'ttl: x', text);
    text = edit('nofailover: false', 'nofailover: 7', text);
    text = edit('listen: 127.0.0.1:5432', 'listen: nowhere', text);
    const problems = problemsOf(text);
    expect(problems).toEqual(
      expect.arrayContaining([
        'bad.yml:1:1: scope: missing: expected a string',
        'bad.yml:9:10: bootstrap.dcs.ttl: expected an integer, found string "x"',
        'bad.yml:16:11: postgresql.listen: expected "host[,host...]:port" with a port between 1 and 65535, found string "nowhere"',
        'bad.yml:27:15: tags.nofailover: expected a boolean (true or false), found number 7',
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('returns a typed result with the parts of the problem, never throws', () => {
    const result = loadConfig([{ file: 'bad.yml', text: edit('ttl: 30', 'ttl: 5') }], { mode: 'validate' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]).toEqual({
      severity: 'error',
      path: 'bootstrap.dcs.ttl',
      message: "ttl=5 is below Patroni's minimum 20 and the fast timing profile can not run it: loop_wait + 2*retry_timeout must be <= ttl, found 10 + 2*10 > 5",
      expected: 'an integer >= 20, or values that satisfy the fast profile',
      found: '5',
      source: { kind: 'file', file: 'bad.yml', line: 10, column: 10 },
    });
  });

  it('in run mode the timing problems are warnings, as the agent adjusts them', () => {
    const result = loadConfig([{ file: 'ok.yml', text: edit('ttl: 30', 'ttl: 25') }], { mode: 'run' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings.map((w) => `${w.severity} ${w.path}`)).toEqual(['warning bootstrap.dcs.loop_wait']);
  });

  it('never prints a secret value in a message', () => {
    const text = edit('password: secret', 'password: [secret]');
    expect(problemsOf(text).join('\n')).not.toContain('secret"');
  });
});
