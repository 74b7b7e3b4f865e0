import type { Member } from '@pgwarden/core';
import { describe, expect, it } from 'vitest';
import { formerPrimaryServers } from './leader-change.js';

const member = (name: string, port: number): Member => ({
  name,
  version: 1,
  data: { conn_url: `postgres://127.0.0.1:${port}/postgres`, api_url: `http://127.0.0.1:${port + 1000}/patroni` },
});

describe('formerPrimaryServers', () => {
  it('names every routable member but the leader, with the server names the renderer uses', () => {
    const cluster = { members: [member('node b', 2), member('node-a', 1), member('leader', 3)], leader: { name: 'leader', version: 1 }, lastLsn: 0 };
    expect(formerPrimaryServers(cluster, 'leader')).toEqual(['pgwarden_primary/node_b', 'pgwarden_primary/node-a']);
  });

  it('names every member when nobody holds the leader key', () => {
    expect(formerPrimaryServers({ members: [member('a', 1)], lastLsn: 0 }, undefined)).toEqual(['pgwarden_primary/a']);
  });
});
