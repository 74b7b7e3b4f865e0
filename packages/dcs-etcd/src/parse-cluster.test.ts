import { clusterTimeline } from '@pgwarden/core';
import { describe, expect, it } from 'vitest';
import { clusterKeys } from './keys.js';
import { parseCluster, type RawKey } from './parse-cluster.js';

const keys = clusterKeys('/service/', 'demo');
const raw = (key: string, value: string, modRevision = 5, lease = '0'): RawKey => ({ key: `/service/demo/${key}`, value, modRevision, lease });

describe('cluster keys', () => {
  it('collapse duplicate slashes and accept a namespace without slashes', () => {
    expect(clusterKeys('service', 'demo').leader).toBe('/service/demo/leader');
    expect(clusterKeys('//ns//', 'demo').member('n1')).toBe('/ns/demo/members/n1');
  });
});

describe('parseCluster', () => {
  it('builds leader, members and sessions from the keys', () => {
    const cluster = parseCluster(keys, [
      raw('leader', 'node1', 9, '77'),
      raw('members/node2', '{"role":"replica"}', 8, '78'),
      raw('members/node1', '{"role":"primary"}', 7, '77'),
    ]);
    expect(cluster.leader).toEqual({ name: 'node1', version: 9, session: '77' });
    expect(cluster.members.map((member) => member.name)).toEqual(['node1', 'node2']);
    expect(cluster.members[0]).toEqual({ name: 'node1', version: 7, session: '77', data: { role: 'primary' } });
  });

  it('an empty leader value means unlocked; status falls back to optime/leader', () => {
    const cluster = parseCluster(keys, [raw('leader', ''), raw('optime/leader', '123')]);
    expect(cluster.leader?.name).toBe('');
    expect(cluster.lastLsn).toBe(123);
  });

  it('status slots given as a JSON string are accepted', () => {
    const cluster = parseCluster(keys, [raw('status', '{"optime":10,"slots":"{\\"s\\":5}"}')]);
    expect(cluster.slots).toEqual({ s: 5 });
  });

  it('sync with quorum null (Patroni 4.x) parses; failover `{}` is no request at all', () => {
    const cluster = parseCluster(keys, [raw('sync', '{"leader":"a","quorum":null,"sync_standby":"b,c"}'), raw('failover', '{}', 3)]);
    expect(cluster.sync).toEqual({ version: 5, leader: 'a', syncStandbys: ['b', 'c'] });
    expect(cluster.failover).toBeUndefined();
  });

  it('a history whose last line is broken gives timeline 0; a bad middle line is dropped', () => {
    expect(clusterTimeline(parseCluster(keys, [raw('history', '[[1,2,"x"],"bad"]')]))).toBe(0);
    expect(clusterTimeline(parseCluster(keys, [raw('history', '[[1,2,"x"],"bad",[4,5,"y"]]')]))).toBe(5);
  });
});
