/**
 * The values of a small cluster exactly as Patroni writes them, taken from
 * spec/dcs.md §1.1 (compact JSON, separators without spaces, non-ASCII
 * escaped as Python's json.dumps does). The compatibility cases write the
 * same content through the adapter and compare what lands in the DCS.
 */
export interface KeyFixture {
  /** Key relative to the cluster prefix. */
  readonly key: string;
  /** The exact bytes Patroni 3.3.1 writes. */
  readonly raw: string;
  /** Fields Patroni 4.x adds to this value, accepted in addition to the 3.3.1 ones. */
  readonly laterFields?: readonly string[];
}

export const memberFixtureData = {
  conn_url: 'postgres://10.0.0.11:5432/postgres',
  api_url: 'http://10.0.0.11:8008/patroni',
  state: 'running',
  role: 'replica',
  version: '3.3.1',
  xlog_location: 50331864,
  replication_state: 'streaming',
  timeline: 3,
  tags: { clonefrom: true },
} as const;

export const configFixtureData = {
  ttl: 30,
  loop_wait: 10,
  retry_timeout: 10,
  maximum_lag_on_failover: 1048576,
  postgresql: { use_pg_rewind: true, parameters: { max_connections: 100 } },
  failsafe_mode: true,
} as const;

export const historyFixtureLines = [
  [1, 25623960, 'no recovery target specified', '2024-07-01T10:00:05.123+00:00', 'node1'],
  [2, 50331864, 'no recovery target specified', '2024-07-02T09:22:33.456+00:00', 'node2'],
] as const;

export const failsafeFixture = { node1: 'http://10.0.0.11:8008/patroni', node2: 'http://10.0.0.12:8008/patroni' } as const;

export const keyFixtures: readonly KeyFixture[] = [
  {
    key: 'members/node1',
    raw: '{"conn_url":"postgres://10.0.0.11:5432/postgres","api_url":"http://10.0.0.11:8008/patroni","state":"running","role":"replica","version":"3.3.1","xlog_location":50331864,"replication_state":"streaming","timeline":3,"tags":{"clonefrom":true}}',
  },
  { key: 'leader', raw: 'node1' },
  { key: 'initialize', raw: '7380236651356719834' },
  {
    key: 'config',
    raw: '{"ttl":30,"loop_wait":10,"retry_timeout":10,"maximum_lag_on_failover":1048576,"postgresql":{"use_pg_rewind":true,"parameters":{"max_connections":100}},"failsafe_mode":true}',
  },
  { key: 'status', raw: '{"optime":67393616,"slots":{"node2":67393616,"permanent_logical_1":67380000}}', laterFields: ['retain_slots'] },
  { key: 'failover', raw: '{"leader":"node1","member":"node2","scheduled_at":"2024-07-01T12:00:00+02:00"}' },
  { key: 'sync', raw: '{"leader":"node1","sync_standby":"node2,node3"}', laterFields: ['quorum'] },
  {
    key: 'history',
    raw: '[[1,25623960,"no recovery target specified","2024-07-01T10:00:05.123+00:00","node1"],[2,50331864,"no recovery target specified","2024-07-02T09:22:33.456+00:00","node2"]]',
  },
  { key: 'failsafe', raw: '{"node1":"http://10.0.0.11:8008/patroni","node2":"http://10.0.0.12:8008/patroni"}' },
];
