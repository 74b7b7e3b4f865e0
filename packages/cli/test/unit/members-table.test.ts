import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderMembers } from '../../src/ctl/render/members-table.js';
import { member, threeMembers } from './fixtures.js';

describe('list pretty table', () => {
  it('prints patronictl columns, order and title over the top border', () => {
    expect(renderMembers(threeMembers(), { clusterName: 'demo', format: 'pretty' })).toBe(
      [
        '+ Cluster: demo (7380236651356719834) -----+----+-----------+',
        '| Member | Host      | Role    | State     | TL | Lag in MB |',
        '+--------+-----------+---------+-----------+----+-----------+',
        '| node1  | 10.0.0.11 | Leader  | running   |  3 |           |',
        '| node2  | 10.0.0.12 | Replica | streaming |  3 |         0 |',
        '| node3  | 10.0.0.13 | Replica | streaming |  3 |         3 |',
        '+--------+-----------+---------+-----------+----+-----------+',
      ].join('\n'),
    );
  });

  it('shows host:port when members share a host', () => {
    const cluster = threeMembers();
    const sameHost = {
      ...cluster,
      members: cluster.members.map((m, index) => ({ ...m, data: { ...m.data, conn_url: `postgres://127.0.0.1:${5432 + index}/postgres` } })),
    };
    const text = renderMembers(sameHost, { clusterName: 'demo', format: 'pretty' });
    expect(text).toContain('| 127.0.0.1:5433 |');
    expect(text).toContain('| 127.0.0.1:5432 |');
  });

  it('names an uninitialized cluster and one being initialized', () => {
    const { initialize: _unused, ...rest } = threeMembers();
    expect(renderMembers(rest, { clusterName: 'demo', format: 'pretty' }).split('\n')[0]).toMatch(/^\+ Cluster: demo \(uninitialized\) -/);
    expect(renderMembers(threeMembers({ initialize: '' }), { clusterName: 'demo', format: 'pretty' }).split('\n')[0]).toMatch(/^\+ Cluster: demo \(initializing\) [-+]/);
  });

  it('adds Pending restart and Tags columns only when a member has them, or with -e', () => {
    const base = threeMembers();
    expect(renderMembers(base, { clusterName: 'demo', format: 'pretty' })).not.toContain('Pending restart');
    const extended = renderMembers(base, { clusterName: 'demo', format: 'pretty', extended: true });
    expect(extended.split('\n')[1]).toBe(
      '| Member | Host      | Role    | State     | TL | Lag in MB | Pending restart | Pending restart reason | Scheduled restart | Tags |',
    );
    const tagged = threeMembers({
      members: [...base.members.slice(0, 2), member('node3', { ...base.members[2]!.data, tags: { nofailover: true, clonefrom: true }, pending_restart: true })],
    });
    const text = renderMembers(tagged, { clusterName: 'demo', format: 'pretty' });
    expect(text.split('\n')[1]).toBe('| Member | Host      | Role    | State     | TL | Lag in MB | Pending restart | Tags             |');
    // A multi-line cell (YAML tags) puts a rule between every row.
    expect(text).toContain('| node3  | 10.0.0.13 | Replica | streaming |  3 |         3 | *               | clonefrom: true  |');
    expect(text).toContain('|        |           |         |           |    |           |                 | nofailover: true |');
    expect(text.split('\n').filter((line) => line.startsWith('+---')).length).toBe(4);
  });

  it('prints maintenance mode and a scheduled switchover under the table', () => {
    const cluster = threeMembers({
      config: { version: 6, modifyVersion: 6, data: { pause: true } },
      failover: { version: 9, leader: 'node1', candidate: 'node2', scheduledAt: '2026-11-25T21:00:00+00:00' },
    });
    const lines = renderMembers(cluster, { clusterName: 'demo', format: 'pretty' }).split('\n');
    expect(lines.slice(-4)).toEqual([
      ' Maintenance mode: on',
      ' Switchover scheduled at: 2026-11-25T21:00:00+00:00',
      '                    from: node1',
      '                      to: node2',
    ]);
  });

  it('shows Standby Leader, Sync Standby and Quorum Standby roles', () => {
    const sync = threeMembers({
      config: { version: 1, modifyVersion: 1, data: { synchronous_mode: true } },
      sync: { version: 1, leader: 'node1', syncStandbys: ['node2'] },
    });
    expect(renderMembers(sync, { clusterName: 'demo', format: 'pretty' })).toContain('| node2  | 10.0.0.12 | Sync Standby |');
    // Quorum commit (patronictl 4): the voters of /sync are Quorum Standbys, the others Replicas.
    const quorum = threeMembers({
      config: { version: 1, modifyVersion: 1, data: { synchronous_mode: 'quorum' } },
      sync: { version: 1, leader: 'node1', syncStandbys: ['node2', 'node3'], quorum: 1 },
    });
    const quorumText = renderMembers(quorum, { clusterName: 'demo', format: 'pretty' });
    expect(quorumText).toContain('| node2  | 10.0.0.12 | Quorum Standby |');
    expect(quorumText).toContain('| node3  | 10.0.0.13 | Quorum Standby |');
    expect(quorumText).not.toContain('Sync Standby');
    const standby = threeMembers({ config: { version: 1, modifyVersion: 1, data: { standby_cluster: { host: '10.1.1.1', port: 5432 } } } });
    expect(renderMembers(standby, { clusterName: 'demo', format: 'pretty' })).toContain('| node1  | 10.0.0.11 | Standby Leader |');
  });

  it('says unknown lag for a member that published no position', () => {
    const cluster = threeMembers();
    const noLsn = { ...cluster, members: cluster.members.map((m) => (m.name === 'node3' ? member('node3', { ...m.data, xlog_location: undefined }) : m)) };
    expect(renderMembers(noLsn, { clusterName: 'demo', format: 'pretty' })).toContain('|  3 |   unknown |');
  });
});

describe('list machine formats', () => {
  it('json: one line, python separators, empty values omitted, numbers as numbers', () => {
    const text = renderMembers(threeMembers(), { clusterName: 'demo', format: 'json' });
    expect(text.split('\n')).toHaveLength(1);
    expect(text.startsWith('[{"Cluster": "demo", "Member": "node1", "Host": "10.0.0.11", "Role": "Leader", "State": "running", "TL": 3}, ')).toBe(true);
    const parsed = JSON.parse(text) as Array<Record<string, unknown>>;
    expect(parsed[1]).toEqual({ Cluster: 'demo', Member: 'node2', Host: '10.0.0.12', Role: 'Replica', State: 'streaming', TL: 3, 'Lag in MB': 0 });
    expect(parsed[0]).not.toHaveProperty('Lag in MB');
  });

  it('yaml: block style with keys sorted', () => {
    const text = renderMembers(threeMembers(), { clusterName: 'demo', format: 'yaml' });
    expect(text.split('\n').slice(0, 7)).toEqual(['- Cluster: demo', '  Host: 10.0.0.11', '  Member: node1', '  Role: Leader', '  State: running', '  TL: 3', '- Cluster: demo']);
    expect((parse(text) as Array<Record<string, unknown>>)[2]).toMatchObject({ Member: 'node3', 'Lag in MB': 3 });
  });

  it('tsv: header with the Cluster column, tags in flow style', () => {
    const base = threeMembers();
    const tagged = threeMembers({ members: [...base.members.slice(0, 2), member('node3', { ...base.members[2]!.data, tags: { nofailover: true } })] });
    expect(renderMembers(tagged, { clusterName: 'demo', format: 'tsv' }).split('\n')).toEqual([
      'Cluster\tMember\tHost\tRole\tState\tTL\tLag in MB\tTags',
      'demo\tnode1\t10.0.0.11\tLeader\trunning\t3\t\t',
      'demo\tnode2\t10.0.0.12\tReplica\tstreaming\t3\t0\t',
      'demo\tnode3\t10.0.0.13\tReplica\tstreaming\t3\t3\t{nofailover: true}',
    ]);
  });
});

describe('topology', () => {
  it('orders rows as the replication tree and indents cascading replicas', () => {
    const base = threeMembers();
    const cascading = threeMembers({
      members: base.members.map((m) => (m.name === 'node3' ? member('node3', { ...m.data, tags: { replicatefrom: 'node2' } }) : m)),
    });
    const rows = renderMembers(cascading, { clusterName: 'demo', format: 'topology' })
      .split('\n')
      .filter((line) => line.startsWith('| node') || line.startsWith('| +') || line.startsWith('|   +'));
    expect(rows.map((row) => row.split('|')[1])).toEqual([' node1     ', ' + node2   ', '   + node3 ']);
  });

  it('attaches a replicatefrom pointing at an unknown member to the leader', () => {
    const base = threeMembers();
    const odd = threeMembers({ members: base.members.map((m) => (m.name === 'node3' ? member('node3', { ...m.data, tags: { replicatefrom: 'ghost' } }) : m)) });
    const text = renderMembers(odd, { clusterName: 'demo', format: 'topology' });
    expect(text).toContain('| + node3 |');
  });
});
