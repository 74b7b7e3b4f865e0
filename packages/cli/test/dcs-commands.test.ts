/**
 * The commands that only read or write the DCS, against a real etcd holding
 * a cluster written by the real etcd adapter (no agents: the members' REST
 * APIs point at closed ports, which also exercises the DCS fallbacks).
 */
import { createEtcdDcs, type EtcdDcs } from '@pgwarden/dcs-etcd';
import { getFreePort, makeTempDir, startEtcd, type EtcdCluster, type TempDir } from '@pgwarden/testkit';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ctl } from './helpers/run-ctl.js';

let etcd: EtcdCluster;
let temp: TempDir;
const writers: EtcdDcs[] = [];
let dcsUrl: string;
let closedPort: number;

function writer(name: string, scope = 'demo'): EtcdDcs {
  const dcs = createEtcdDcs({ scope, name, hosts: [...etcd.endpoints], ttlSeconds: 600, retryTimeoutSeconds: 5 });
  writers.push(dcs);
  return dcs;
}

async function seedCluster(scope: string): Promise<EtcdDcs> {
  const admin = writer('node1', scope);
  await admin.initialize({ createNew: true, sysid: '7380236651356719834' });
  await admin.setConfig({ ttl: 30, loop_wait: 10, retry_timeout: 10, maximum_lag_on_failover: 1048576, postgresql: { parameters: { max_connections: 100 } } });
  await admin.setHistory([[1, 25165984, 'no recovery target specified', '2026-11-25T18:00:00+00:00', 'node2']]);
  await admin.writeStatus({ optime: 50331864 });
  const api = `http://127.0.0.1:${closedPort}/patroni`;
  const base = { api_url: api, version: '4.0.4', timeline: 2 } as const;
  await admin.touchMember({ ...base, conn_url: 'postgres://127.0.0.1:6001/postgres', state: 'running', role: 'primary', xlog_location: 50331864 });
  await writer('node2', scope).touchMember({ ...base, conn_url: 'postgres://127.0.0.1:6002/postgres', state: 'running', role: 'replica', replication_state: 'streaming', xlog_location: 50331864 });
  await writer('node3', scope).touchMember({
    ...base,
    conn_url: 'postgres://127.0.0.1:6003/postgres',
    state: 'running',
    role: 'replica',
    replication_state: 'streaming',
    xlog_location: 50331864 - 5 * 1048576,
    tags: { nofailover: true },
  });
  const acquired = await admin.acquireLeader();
  expect(acquired.kind).toBe('held');
  return admin;
}

beforeAll(async () => {
  etcd = await startEtcd();
  temp = makeTempDir('ctl-dcs');
  closedPort = await getFreePort();
  dcsUrl = `etcd3://${etcd.endpoints[0]!.replace('http://', '')}`;
  await seedCluster('demo');
});

afterAll(async () => {
  await Promise.all(writers.map((dcs) => dcs.close()));
  await etcd?.stop();
  temp?.remove();
});

describe('list', () => {
  it('prints the patronictl table of the cluster read from etcd', async () => {
    const run = await ctl(['-d', dcsUrl, 'list', 'demo']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toEqual([
      '+ Cluster: demo (7380236651356719834) ----------+----+-----------+------------------+',
      '| Member | Host           | Role    | State     | TL | Lag in MB | Tags             |',
      '+--------+----------------+---------+-----------+----+-----------+------------------+',
      '| node1  | 127.0.0.1:6001 | Leader  | running   |  2 |           |                  |',
      '| node2  | 127.0.0.1:6002 | Replica | streaming |  2 |         0 |                  |',
      '| node3  | 127.0.0.1:6003 | Replica | streaming |  2 |         5 | nofailover: true |',
      '+--------+----------------+---------+-----------+----+-----------+------------------+',
    ]);
  });

  it('prints json that parses field by field, and yaml with the same content', async () => {
    const json = await ctl(['-d', dcsUrl, 'list', 'demo', '-f', 'json']);
    const rows = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(rows).toEqual([
      { Cluster: 'demo', Member: 'node1', Host: '127.0.0.1:6001', Role: 'Leader', State: 'running', TL: 2 },
      { Cluster: 'demo', Member: 'node2', Host: '127.0.0.1:6002', Role: 'Replica', State: 'streaming', TL: 2, 'Lag in MB': 0 },
      { Cluster: 'demo', Member: 'node3', Host: '127.0.0.1:6003', Role: 'Replica', State: 'streaming', TL: 2, 'Lag in MB': 5, Tags: { nofailover: true } },
    ]);
    const yaml = await ctl(['-d', dcsUrl, 'list', 'demo', '--format', 'yaml']);
    expect(parse(yaml.stdout)).toEqual(rows);
  });

  it('uses scope and the etcd3 section of the config file given with -c', async () => {
    const file = join(temp.path, 'ctl.yaml');
    writeFileSync(file, `scope: demo\netcd3:\n  hosts: ${etcd.endpoints[0]!.replace('http://', '')}\n`);
    const run = await ctl(['-c', file, 'list', '-f', 'tsv']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[1]).toBe('demo\tnode1\t127.0.0.1:6001\tLeader\trunning\t2\t\t');
  });

  it('prints one table per cluster named, each after a timestamp with -t', async () => {
    await seedCluster('second');
    const run = await ctl(['-d', dcsUrl, 'list', 'demo', 'second', '-t']);
    const lines = run.stdout.split('\n');
    expect(lines.filter((line) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(line))).toHaveLength(2);
    expect(lines.filter((line) => line.startsWith('+ Cluster: '))).toEqual([
      expect.stringMatching(/^\+ Cluster: demo \(/),
      expect.stringMatching(/^\+ Cluster: second \(/),
    ]);
  });

  it('fails in one line for a cluster the DCS does not hold', async () => {
    const run = await ctl(['-d', dcsUrl, 'list', 'ghost']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error: Cluster ghost not found in etcd3 at 127\.0\.0\.1:\d+ \(namespace \/service\)$/);
  });

  it('fails in one line when the DCS is unreachable', async () => {
    const file = join(temp.path, 'unreachable.yaml');
    writeFileSync(file, `scope: demo\nretry_timeout: 2\netcd3:\n  host: 127.0.0.1:${closedPort}\n`);
    const run = await ctl(['-c', file, 'list']);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(new RegExp(`^Error: DCS unreachable: etcd3 at 127.0.0.1:${closedPort} \\(namespace /service\\)`));
  });

  it('fails in one line for a missing config file', async () => {
    const run = await ctl(['-c', '/nonexistent/patronictl.yaml', 'list']);
    expect(run.stderr).toBe('Error: Provided config file /nonexistent/patronictl.yaml not existing or no read rights.');
    expect(run.code).toBe(1);
  });
});

describe('topology, history, show-config, dsn', () => {
  it('topology puts the leader first and replicas under it', async () => {
    const run = await ctl(['-d', dcsUrl, 'topology', 'demo']);
    expect(run.stdout).toContain('| node1   | 127.0.0.1:6001 | Leader  |');
    expect(run.stdout).toContain('| + node2 | 127.0.0.1:6002 | Replica |');
  });

  it('history prints the timeline lines, json keeps every column', async () => {
    const pretty = await ctl(['-d', dcsUrl, 'history', 'demo']);
    expect(pretty.stdout.split('\n')[1]).toBe('| TL |      LSN | Reason                       | Timestamp                 | New Leader |');
    expect(pretty.stdout.split('\n')[3]).toBe('|  1 | 25165984 | no recovery target specified | 2026-11-25T18:00:00+00:00 | node2      |');
    const json = await ctl(['-d', dcsUrl, 'history', 'demo', '-f', 'json']);
    expect(JSON.parse(json.stdout)).toEqual([
      { TL: 1, LSN: 25165984, Reason: 'no recovery target specified', Timestamp: '2026-11-25T18:00:00+00:00', 'New Leader': 'node2' },
    ]);
  });

  it('show-config prints /config as YAML', async () => {
    const run = await ctl(['-d', dcsUrl, 'show-config', 'demo']);
    expect(parse(run.stdout)).toEqual({ ttl: 30, loop_wait: 10, retry_timeout: 10, maximum_lag_on_failover: 1048576, postgresql: { parameters: { max_connections: 100 } } });
  });

  it('dsn prints the leader by default, a member or a role on request', async () => {
    expect((await ctl(['-d', dcsUrl, 'dsn', 'demo'])).stdout).toBe('host=127.0.0.1 port=6001');
    expect((await ctl(['-d', dcsUrl, 'dsn', 'demo', '-m', 'node3'])).stdout).toBe('host=127.0.0.1 port=6003');
    expect((await ctl(['-d', dcsUrl, 'dsn', 'demo', '-r', 'replica'])).stdout).toBe('host=127.0.0.1 port=6002');
    const both = await ctl(['-d', dcsUrl, 'dsn', 'demo', '-r', 'replica', '-m', 'node3']);
    expect(both.stderr).toBe('Error: --role and --member are mutually exclusive options');
  });
});

describe('edit-config', () => {
  it('shows the diff, asks, and writes --set and --pg changes with --force', async () => {
    const run = await ctl(['-d', dcsUrl, 'edit-config', 'demo', '--set', 'loop_wait=5', '--pg', 'work_mem=8MB', '--force']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toContain('-loop_wait: 10');
    expect(run.stdout.split('\n')).toContain('+loop_wait: 5');
    expect(run.stdout.split('\n')).toContain('+    work_mem: 8MB');
    expect(run.stdout.split('\n').at(-1)).toBe('Configuration changed');
    const shown = parse((await ctl(['-d', dcsUrl, 'show-config', 'demo'])).stdout) as Record<string, unknown>;
    expect(shown['loop_wait']).toBe(5);
    expect(shown['postgresql']).toEqual({ parameters: { max_connections: 100, work_mem: '8MB' } });
  });

  it('leaves the config alone when the answer is no', async () => {
    const run = await ctl(['-d', dcsUrl, 'edit-config', 'demo', '-s', 'ttl=40'], { answers: ['n'] });
    expect(run.questions).toEqual(['Apply these changes?']);
    expect(run.code).toBe(1);
    expect((parse((await ctl(['-d', dcsUrl, 'show-config', 'demo'])).stdout) as Record<string, unknown>)['ttl']).toBe(30);
  });

  it('says Not changed when nothing changes', async () => {
    const run = await ctl(['-d', dcsUrl, 'edit-config', 'demo', '-s', 'ttl=30', '--force']);
    expect(run.stdout).toBe('Not changed');
  });

  it('requires --force to apply from standard input, then merges it', async () => {
    const refused = await ctl(['-d', dcsUrl, 'edit-config', 'demo', '--apply', '-'], { stdin: 'failsafe_mode: true\n' });
    expect(refused.stdout.split('\n').at(-1)).toBe('Use --force option to apply changes');
    const applied = await ctl(['-d', dcsUrl, 'edit-config', 'demo', '--apply', '-', '--force', '-q'], { stdin: 'failsafe_mode: true\nloop_wait: null\n' });
    expect(applied.stdout).toBe('Configuration changed');
    const shown = parse((await ctl(['-d', dcsUrl, 'show-config', 'demo'])).stdout) as Record<string, unknown>;
    expect(shown['failsafe_mode']).toBe(true);
    expect(shown).not.toHaveProperty('loop_wait');
  });
});

describe('switchover and flush when no REST API answers', () => {
  it('refuses a candidate tagged nofailover and says why', async () => {
    const run = await ctl(['-d', dcsUrl, 'switchover', 'demo', '--candidate', 'node3', '--force']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('Error: Member node3 is not eligible for switchover: it is tagged nofailover');
  });

  it('refuses a leader that is not the leader', async () => {
    const run = await ctl(['-d', dcsUrl, 'switchover', 'demo', '--leader', 'node2', '--candidate', 'node3', '--force']);
    expect(run.stderr).toBe('Error: Member node2 is not the leader of cluster demo');
  });

  it('falls back to writing a scheduled switchover into the DCS, which list shows and flush removes', async () => {
    const scheduled = await ctl(['-d', dcsUrl, 'switchover', 'demo', '--candidate', 'node2', '--scheduled', '2099-01-01T00:00Z', '--force']);
    expect(scheduled.code).toBe(0);
    expect(scheduled.stdout).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d Could not switchover using Patroni api, falling back to DCS/);
    const listed = await ctl(['-d', dcsUrl, 'list', 'demo']);
    expect(listed.stdout.split('\n').slice(-3)).toEqual([
      ' Switchover scheduled at: 2099-01-01T00:00:00+00:00',
      '                    from: node1',
      '                      to: node2',
    ]);
    const flushed = await ctl(['-d', dcsUrl, 'flush', 'demo', 'switchover']);
    expect(flushed.stdout).toMatch(/Could not find any accessible member of cluster demo/);
    expect((await ctl(['-d', dcsUrl, 'flush', 'demo', 'switchover'])).stdout).toBe('No pending scheduled switchover');
  });

  it('reports an unreachable REST API in one line', async () => {
    const run = await ctl(['-d', dcsUrl, 'reload', 'demo', 'node2', '--force']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`Error: REST API of member node2 at http://127.0.0.1:${closedPort} is not reachable: connection refused`);
  });
});

describe('remove', () => {
  it('stops when the typed cluster name does not match', async () => {
    const run = await ctl(['-d', dcsUrl, 'remove', 'demo'], { answers: ['dmeo'] });
    expect(run.stderr).toBe('Error: Cluster names specified do not match');
    expect((await ctl(['-d', dcsUrl, 'list', 'demo'])).code).toBe(0);
  });

  it('deletes every key after the name, "Yes I am aware" and the leader name', async () => {
    await seedCluster('doomed');
    const run = await ctl(['-d', dcsUrl, 'remove', 'doomed'], { answers: ['doomed', 'Yes I am aware', 'node1'] });
    expect(run.questions).toEqual([
      'Please confirm the cluster name to remove',
      'You are about to remove all information in DCS for doomed, please type: "Yes I am aware"',
      'This cluster currently is healthy. Please specify the leader name to continue',
    ]);
    expect(run.code).toBe(0);
    const after = await ctl(['-d', dcsUrl, 'list', 'doomed']);
    expect(after.stderr).toMatch(/Cluster doomed not found/);
  });
});

describe('haproxy', () => {
  it('prints a haproxy.cfg routing to the members, health-checked through their REST APIs', async () => {
    const run = await ctl(['-d', dcsUrl, 'haproxy', 'demo', '--primary-port', '15000', '--replica-port', '15001']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/bind \*:15000/);
    expect(run.stdout).toMatch(/bind \*:15001/);
    for (const [name, port] of [['node1', 6001], ['node2', 6002], ['node3', 6003]] as const) {
      expect(run.stdout).toMatch(new RegExp(`server ${name} 127\\.0\\.0\\.1:${port} .*port ${closedPort}`));
    }
  });

  it('writes the file with --output after haproxy -c accepts it', async () => {
    const output = join(temp.path, 'haproxy.cfg');
    const run = await ctl(['-d', dcsUrl, 'haproxy', 'demo', '--output', output, '--primary-port', '15002', '--replica-port', '15003']);
    expect(run.stdout).toBe(`Wrote ${output}`);
    expect(readFileSync(output, 'utf8')).toContain('bind *:15002');
  });
});

describe('edit-config in an editor', () => {
  it('opens $EDITOR on the YAML and applies what was saved after the question', async () => {
    const run = await ctl(['-d', dcsUrl, 'edit-config', 'demo'], { answers: ['y'], env: { EDITOR: "sed -i 's/^ttl: 30$/ttl: 45/'" } });
    expect(run.stdout.split('\n')).toEqual(expect.arrayContaining(['-ttl: 30', '+ttl: 45', 'Configuration changed']));
    expect((parse((await ctl(['-d', dcsUrl, 'show-config', 'demo'])).stdout) as Record<string, unknown>)['ttl']).toBe(45);
  });

  it('says Not changed when the editor saves the same text', async () => {
    const run = await ctl(['-d', dcsUrl, 'edit-config', 'demo'], { env: { EDITOR: 'true' } });
    expect(run.stdout).toBe('Not changed');
  });
});

describe('eligibility', () => {
  it('a switchover to any member is refused with the reason of each when none can be promoted', async () => {
    const lonely = writer('node1', 'lonely');
    await lonely.initialize({ createNew: true, sysid: '1' });
    await lonely.setConfig({ ttl: 30 });
    await lonely.touchMember({ conn_url: 'postgres://127.0.0.1:7001/postgres', api_url: `http://127.0.0.1:${closedPort}/patroni`, state: 'running', role: 'primary' });
    await writer('node2', 'lonely').touchMember({ conn_url: 'postgres://127.0.0.1:7002/postgres', api_url: `http://127.0.0.1:${closedPort}/patroni`, state: 'stopped', role: 'replica' });
    await writer('node3', 'lonely').touchMember({ conn_url: 'postgres://127.0.0.1:7003/postgres', state: 'running', role: 'replica' });
    expect((await lonely.acquireLeader()).kind).toBe('held');
    const run = await ctl(['-d', dcsUrl, 'switchover', 'lonely', '--force']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('Error: No member is eligible for switchover: node2: its PostgreSQL is stopped; node3: it publishes no REST API URL');
  });
});
