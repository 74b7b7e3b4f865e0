/**
 * Every command against one real three-member cluster (real etcd, real
 * PostgreSQL 15, real agents and REST APIs): each test asserts the command's
 * output and its effect on the cluster. They share the cluster and run in
 * order; each leaves it healthy for the next.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clusterPasswords } from '@pgwarden/testkit';
import { healthy, leaderOf, listJson, startTestCluster, waitForRows, type ListRow, type TestCluster } from './helpers/cluster.js';
import { ctl } from './helpers/run-ctl.js';

let test: TestCluster;
let config: string;
const c = (...argv: string[]): string[] => ['-c', config, ...argv];
const PASSWORD = clusterPasswords.superuser.password;

async function patroniStatus(member: string): Promise<Record<string, unknown>> {
  return (await test.cluster.member(member).status()) ?? {};
}

/**
 * The agent publishes its REST snapshot at the end of a cycle, and a finished
 * restart wakes the cycle: /patroni shows the new postmaster start time
 * shortly after the restart answered, not necessarily at once.
 */
async function newPostmasterStartTime(member: string, before: unknown, timeoutMs = 15_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = (await patroniStatus(member))['postmaster_start_time'];
    if (current !== before || Date.now() > deadline) return current;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function replicas(rows: readonly ListRow[]): string[] {
  return rows.filter((row) => row.Role !== 'Leader').map((row) => row.Member);
}

beforeAll(async () => {
  test = await startTestCluster();
  config = test.ctlConfig;
}, 180_000);

afterAll(async () => {
  await test?.cluster.stop();
}, 120_000);

describe('views of a running cluster', () => {
  it('list -f json has one leader running and two replicas streaming on its timeline, field by field', async () => {
    const rows = await waitForRows(config, healthy);
    expect(rows.map((row) => row.Member)).toEqual(['node1', 'node2', 'node3']);
    const leader = rows.find((row) => row.Role === 'Leader')!;
    expect(leader).toEqual({ Cluster: 'demo', Member: leader.Member, Host: expect.stringMatching(/^127\.0\.0\.1:\d+$/), Role: 'Leader', State: 'running', TL: expect.any(Number) });
    for (const row of rows.filter((item) => item !== leader)) {
      expect(row).toMatchObject({ Cluster: 'demo', Role: 'Replica', State: 'streaming', TL: leader.TL });
      expect(typeof row['Lag in MB']).toBe('number');
    }
    expect(leader.Host).toBe(`127.0.0.1:${test.cluster.member(leader.Member).pgPort}`);
  });

  it('list -f yaml carries the same rows, list pretty the patronictl header', async () => {
    const json = await listJson(config);
    const yaml = await ctl(c('list', '-f', 'yaml'));
    expect(parse(yaml.stdout)).toEqual(json);
    const pretty = await ctl(c('list'));
    expect(pretty.stdout.split('\n')[0]).toMatch(/^\+ Cluster: demo \(\d+\) -+/);
    expect(pretty.stdout.split('\n')[1]).toMatch(/^\| Member \| Host +\| Role +\| State +\| TL \| Lag in MB \|$/);
  });

  it('topology puts the leader first and indents the replicas', async () => {
    const rows = await listJson(config);
    const run = await ctl(c('topology'));
    const names = run.stdout.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| Member')).map((line) => line.split('|')[1]!.trim());
    expect(names).toEqual([leaderOf(rows), ...replicas(rows).map((name) => `+ ${name}`)]);
  });

  it('version asks every member for its agent and PostgreSQL versions', async () => {
    const run = await ctl(c('version', 'demo'));
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('pgwardenctl version 0.1.0');
    for (const name of ['node1', 'node2', 'node3']) expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${name}: Patroni \\S+ PostgreSQL 15\\.\\d+$`)));
  });

  it('dsn and query reach the leader and a replica', async () => {
    const rows = await listJson(config);
    expect((await ctl(c('dsn'))).stdout).toBe(`host=127.0.0.1 port=${test.cluster.member(leaderOf(rows)!).pgPort}`);
    const primary = await ctl(c('query', '-U', 'postgres', '--password', '-d', 'postgres', '-c', 'SELECT pg_is_in_recovery() AS recovery, 1 AS one'), { answers: [PASSWORD] });
    expect(primary.stdout.split('\n')).toEqual(['recovery\tone', 'False\t1']);
    const replica = await ctl(c('query', '-r', 'replica', '-U', 'postgres', '--password', '-c', 'SELECT pg_is_in_recovery()', '--format', 'json'), { answers: [PASSWORD] });
    expect(JSON.parse(replica.stdout)).toEqual([{ pg_is_in_recovery: true }]);
  });
});

describe('query errors', () => {
  it('an SQL error becomes a row with the time and SQLSTATE, as in patronictl', async () => {
    const run = await ctl(c('query', '-U', 'postgres', '--password', '-c', 'SELECT 1/0'), { answers: [PASSWORD] });
    expect(run.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\tERROR, SQLSTATE: 22012$/m);
  });
});

describe('configuration', () => {
  it('edit-config --pg changes /config in the DCS', async () => {
    const run = await ctl(c('edit-config', '--pg', 'work_mem=8MB', '--force'));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('+    work_mem: 8MB');
    expect(run.stdout.split('\n').at(-1)).toBe('Configuration changed');
    const shown = parse((await ctl(c('show-config'))).stdout) as { postgresql: { parameters: Record<string, unknown> } };
    expect(shown.postgresql.parameters['work_mem']).toBe('8MB');
  });

  it('the members apply the parameter changed by edit-config', async () => {
    const query = async (): Promise<string> =>
      (await ctl(c('query', '-m', 'node2', '-U', 'postgres', '--password', '-c', 'SHOW work_mem'), { answers: [PASSWORD] })).stdout;
    const deadline = Date.now() + 30_000;
    while (!(await query()).includes('8MB') && Date.now() < deadline) await new Promise((done) => setTimeout(done, 500));
    const applied = (name: string): string =>
      test.cluster.member(name).output().split('\n').filter((line) => /configuration applied|dynamic configuration|\/config/i.test(line)).slice(-3).join('\n');
    expect(await query(), ['node1', 'node2', 'node3'].map(applied).join('\n')).toBe('work_mem\n8MB');
  });

  it('reload asks each member to reload and says when', async () => {
    const run = await ctl(c('reload', 'demo', '--force'));
    expect(run.code).toBe(0);
    for (const name of ['node1', 'node2', 'node3']) {
      expect(run.stdout).toMatch(new RegExp(`(Reload request received for member ${name} and will be processed within 2 seconds|No changes to apply on member ${name})`));
    }
  });

  it('a wrong REST API password is refused in one line with what to fix', async () => {
    const wrong = join(test.cluster.dir, 'wrong-password.yaml');
    writeFileSync(wrong, `scope: demo\nnamespace: ${test.cluster.namespace}\netcd3:\n  hosts: ${test.etcdHostPort}\nctl:\n  authentication:\n    username: operator\n    password: wrong\n`);
    const run = await ctl(['-c', wrong, 'reload', 'demo', 'node1', '--force']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error: REST API of member node1 refused the request as unauthorised \(401 .*\): set ctl\.authentication/);
  });
});

describe('restart and flush', () => {
  it('restart restarts the chosen member now and reports success', async () => {
    const before = (await patroniStatus('node3'))['postmaster_start_time'];
    const run = await ctl(c('restart', 'demo', 'node3', '--force'));
    expect(run.stdout).toContain('Success: restart on member node3');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/restart done: 1 member\(s\) in \d+\.\d s/);
    expect(await newPostmasterStartTime('node3', before)).not.toBe(before);
    await waitForRows(config, healthy);
  });

  it('restart -r leader restarts the primary in place: same leader, replicas stream again', async () => {
    const rows = await waitForRows(config, healthy);
    const leader = leaderOf(rows)!;
    const before = (await patroniStatus(leader))['postmaster_start_time'];
    const run = await ctl(c('restart', 'demo', '-r', 'leader', '--force'));
    expect(run.stdout, run.stderr).toContain(`Success: restart on member ${leader}`);
    expect(await newPostmasterStartTime(leader, before)).not.toBe(before);
    expect(leaderOf(await waitForRows(config, healthy, 60_000))).toBe(leader);
  });

  it('a scheduled restart shows in list -e and flush removes it', async () => {
    const scheduled = await ctl(c('restart', 'demo', 'node2', '--scheduled', '2099-01-01T00:00Z', '--force'));
    expect(scheduled.stdout).toContain('Success: restart scheduled on member node2');
    const rows = await waitForRows(config, (items) => items.some((row) => row.Member === 'node2' && row['Scheduled restart'] !== undefined), 15_000);
    expect(rows.find((row) => row.Member === 'node2')!['Scheduled restart']).toMatch(/^2099-01-01T00:00:00/);
    const flushed = await ctl(c('flush', 'demo', 'node2', 'restart', '--force'));
    expect(flushed.stdout).toContain('Success: flush scheduled restart for member node2');
    await waitForRows(config, (items) => items.every((row) => row['Scheduled restart'] === undefined), 15_000);
  });

  it('restart of an unknown member fails in one line', async () => {
    const run = await ctl(c('restart', 'demo', 'ghost', '--force'));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('Error: ghost is not a member of cluster demo');
  });
});

describe('maintenance mode', () => {
  it('pause --wait waits until every member reports it, list shows it, resume --wait ends it', async () => {
    const paused = await ctl(c('pause', '--wait'));
    expect(paused.stdout.split('\n')).toEqual(["'pause' request sent, waiting until it is recognized by all nodes", 'Success: cluster management is paused']);
    expect((await ctl(c('list'))).stdout.split('\n').at(-1)).toBe(' Maintenance mode: on');
    const again = await ctl(c('pause'));
    expect(again.stderr).toBe('Error: Cluster is already paused');
    expect(again.code).toBe(1);
    const resumed = await ctl(c('resume', '--wait'));
    expect(resumed.stdout.split('\n').at(-1)).toBe('Success: cluster management is resumed');
    expect((await ctl(c('list'))).stdout).not.toContain('Maintenance mode');
  });
});

describe('switchover and failover', () => {
  it('a scheduled switchover is accepted by the leader, shown by list and cancelled by flush', async () => {
    const rows = await waitForRows(config, healthy);
    const run = await ctl(c('switchover', '--candidate', replicas(rows)[0]!, '--scheduled', '2099-06-01T12:00+00:00', '--force'));
    expect(run.stdout).toMatch(/\d\d:\d\d:\d\d Switchover scheduled/);
    const listed = (await ctl(c('list'))).stdout.split('\n');
    expect(listed.at(-3)).toBe(' Switchover scheduled at: 2099-06-01T12:00:00+00:00');
    expect(listed.at(-1)).toBe(`                      to: ${replicas(rows)[0]}`);
    const flushed = await ctl(c('flush', 'demo', 'switchover'));
    expect(flushed.stdout).toBe('Success: scheduled switchover deleted');
    expect((await ctl(c('list'))).stdout).not.toContain('Switchover scheduled');
    expect(leaderOf(await listJson(config))).toBe(leaderOf(rows));
  });

  it('switchover --force moves the leader to the candidate and follows it to the end', async () => {
    const rows = await waitForRows(config, healthy);
    const candidate = replicas(rows)[0]!;
    const run = await ctl(c('switchover', '--candidate', candidate, '--force'));
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`\\d\\d:\\d\\d:\\d\\d Successfully switched over to "${candidate}"`));
    expect(run.stderr).toMatch(new RegExp(`switchover done: ${candidate} is the new leader`));
    const after = await waitForRows(config, (items) => healthy(items) && leaderOf(items) === candidate, 90_000);
    expect(leaderOf(after)).toBe(candidate);
  });

  it('switchover asks for the leader, candidate, time and confirmation', async () => {
    const rows = await waitForRows(config, healthy, 90_000);
    const leader = leaderOf(rows)!;
    const candidate = replicas(rows)[0]!;
    const run = await ctl(c('switchover'), { answers: ['', candidate, '', 'y'] });
    expect(run.questions[0]).toBe('Primary');
    expect(run.questions[1]).toBe(`Candidate [${replicas(rows).map((name) => `'${name}'`).join(', ')}]`);
    expect(run.questions[2]).toMatch(/^When should the switchover take place \(e\.g\. \d{4}-\d\d-\d\dT\d\d:\d\d \) $/);
    expect(run.questions[3]).toBe(`Are you sure you want to switchover cluster demo, demoting current leader ${leader}?`);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    await waitForRows(config, (items) => healthy(items) && leaderOf(items) === candidate, 90_000);
  });

  it('declining the question changes nothing', async () => {
    const rows = await waitForRows(config, healthy, 90_000);
    const run = await ctl(c('switchover', '--candidate', replicas(rows)[0]!, '--scheduled', 'now'), { answers: ['', 'n'] });
    expect(run.stderr).toBe('Error: Aborting switchover');
    expect(run.code).toBe(1);
    expect(leaderOf(await listJson(config))).toBe(leaderOf(rows));
  });

  it('failover to a named replica promotes it', async () => {
    const rows = await waitForRows(config, healthy, 90_000);
    const candidate = replicas(rows)[1]!;
    const run = await ctl(c('failover', '--candidate', candidate, '--force'));
    expect(run.stdout, run.stderr).toMatch(new RegExp(`Successfully failed over to "${candidate}"`));
    expect(run.code).toBe(0);
    await waitForRows(config, (items) => healthy(items) && leaderOf(items) === candidate, 90_000);
  });

  it('history lists the timelines the switchovers created', async () => {
    const run = await ctl(c('history', '-f', 'json'));
    const lines = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(Object.keys(line)).toEqual(['TL', 'LSN', 'Reason', 'Timestamp', 'New Leader']);
    // The promotions were pgwarden's: each line is stamped with its time and the member that took over, as Patroni's are.
    const members = (await waitForRows(config, healthy, 90_000)).map((row) => row.Member);
    for (const line of lines) {
      expect(line['Timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?[+-]\d\d:\d\d$/);
      expect(members).toContain(line['New Leader']);
    }
  });

  it('a switchover to an unknown member is refused before anything is sent', async () => {
    const run = await ctl(c('switchover', '--candidate', 'ghost', '--force'));
    expect(run.stderr).toBe('Error: Member ghost does not exist in cluster demo or is tagged as nofailover');
  });
});

describe('reinit', () => {
  it('reinit --wait re-creates a replica and waits until it streams again', async () => {
    const rows = await waitForRows(config, healthy, 90_000);
    const target = replicas(rows)[0]!;
    const run = await ctl(c('reinit', 'demo', target, '--force', '--wait'));
    expect(run.stdout).toContain(`Success: reinitialize for member ${target}`);
    expect(run.stdout).toContain(`Reinitialize is completed on: ${target}`);
    expect(run.code).toBe(0);
    await waitForRows(config, healthy, 90_000);
  });

  it('reinit of the leader is refused', async () => {
    const rows = await listJson(config);
    const run = await ctl(c('reinit', 'demo', leaderOf(rows)!, '--force'));
    expect(run.stderr).toBe('Error: No replica among provided members');
    expect(run.code).toBe(1);
  });
});

describe('remove', () => {
  it('after the agents stopped, remove deletes every key of the cluster', async () => {
    const rows = await listJson(config);
    await Promise.all(test.cluster.members.map((member) => member.stop()));
    const run = await ctl(c('remove', 'demo'), { answers: ['demo', 'Yes I am aware', leaderOf(rows) ?? ''] });
    expect(run.code, run.stderr).toBe(0);
    expect(run.questions.slice(0, 2)).toEqual([
      'Please confirm the cluster name to remove',
      'You are about to remove all information in DCS for demo, please type: "Yes I am aware"',
    ]);
    const after = await ctl(c('list'));
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/^Error: Cluster demo not found in etcd3 at /);
  });
});
