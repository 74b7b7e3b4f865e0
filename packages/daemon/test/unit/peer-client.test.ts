import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpPeerPort, failsafeTimeoutMs, peerStatusTimeoutMs, toPeerStatus } from '../../src/runtime/peer-client.js';
import { fetchPeerStatuses } from '../../src/runtime/peer-checks.js';
import type { Cluster } from '@pgwarden/core';
import { testSettings } from '../doubles.js';

describe('peer timeouts', () => {
  it('derive from retry_timeout so a peer answering in 2.5 s still counts (INCIDENTS #3)', () => {
    expect(failsafeTimeoutMs({ ...testSettings, retryTimeoutSeconds: 3 })).toBeGreaterThan(2500);
    expect(peerStatusTimeoutMs({ ...testSettings, retryTimeoutSeconds: 10 })).toBe(5000);
    expect(peerStatusTimeoutMs({ ...testSettings, retryTimeoutSeconds: 3 })).toBe(2000);
  });
});

describe('toPeerStatus', () => {
  it('reads a replica as the max of received and replayed, a primary by its location', () => {
    expect(toPeerStatus('n2', { role: 'replica', state: 'running', xlog: { received_location: 10, replayed_location: 8 }, timeline: 2 })).toMatchObject({
      reachable: true,
      walPosition: 10,
      isPrimary: false,
      timeline: 2,
    });
    expect(toPeerStatus('n1', { role: 'master', xlog: { location: 99 } })).toMatchObject({ walPosition: 99, isPrimary: true });
  });

  it('counts an answer without xlog, or none, as unreachable', () => {
    expect(toPeerStatus('n3', { state: 'stopped' })).toEqual({ name: 'n3', reachable: false });
    expect(toPeerStatus('n3', undefined)).toEqual({ name: 'n3', reachable: false });
  });

  it("keeps a stopped member's data directory timeline, which a race winner must not take again", () => {
    expect(toPeerStatus('n3', { state: 'stopped', role: 'replica', data_directory_timeline: 3 })).toEqual({ name: 'n3', reachable: false, timeline: 3 });
    expect(toPeerStatus('n3', { state: 'stopped', data_directory_timeline: 'x' })).toEqual({ name: 'n3', reachable: false });
  });
});

describe('createHttpPeerPort', () => {
  let url = '';
  const server = createServer((request, response) => {
    if (request.url === '/failsafe') {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const name = (JSON.parse(body) as { name: string }).name;
        setTimeout(() => response.writeHead(200).end(name === 'slow' ? 'Accepted' : 'Accepted'), name === 'slow' ? 2500 : 0);
      });
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ role: 'replica', xlog: { replayed_location: 5 } }));
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/patroni`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('GETs /patroni and POSTs /failsafe, accepting a slow but in-time answer', async () => {
    const peers = createHttpPeerPort();
    expect(await peers.fetchStatus(url, 1000)).toEqual({ role: 'replica', xlog: { replayed_location: 5 } });
    expect(await peers.postFailsafe(url, { name: 'slow' }, failsafeTimeoutMs({ ...testSettings, retryTimeoutSeconds: 3 }))).toBe(true);
    expect(await peers.postFailsafe(url, { name: 'slow' }, 500)).toBe(false);
  });
});

describe('fetchPeerStatuses', () => {
  it('asks a member whose key expired (a DCS outage longer than ttl) at the address it published last', async () => {
    const asked: string[] = [];
    const port = {
      fetchStatus: async (url: string) => {
        asked.push(url);
        return { role: 'replica', state: 'running', xlog: { received_location: 5, replayed_location: 5 } };
      },
      postFailsafe: async () => false,
    };
    const cluster = { members: [] } as unknown as Cluster;
    const statuses = await fetchPeerStatuses(port, ['node3', 'node9'], cluster, testSettings, new Map([['node3', 'http://10.0.0.3:8008/patroni']]));
    expect(asked).toEqual(['http://10.0.0.3:8008/patroni']);
    expect(statuses).toEqual([expect.objectContaining({ name: 'node3', reachable: true }), { name: 'node9', reachable: false }]);
  });
});
