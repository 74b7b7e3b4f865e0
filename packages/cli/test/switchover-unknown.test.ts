/**
 * A member that stops waiting for a slow hand-over answers 503 "Switchover
 * status unknown: <where it stands>" (INCIDENTS #8). pgwardenctl prints that
 * line as patronictl does, then keeps following the cluster: the switchover
 * it asked for may still finish, and the exit code says whether it did.
 * The member is a local HTTP server, the DCS a scripted sequence of reads.
 */
import type { Cluster, Dcs, Member } from '@pgwarden/core';
import { getFreePort } from '@pgwarden/testkit';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { runCtl } from '../src/ctl/main.js';
import { createScriptedIo } from './helpers/scripted-io.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server === undefined ? done() : server.close(() => done()))));

const UNKNOWN = 'Switchover status unknown: node1 still holds the leader lock and is demoting or has not started to (node1: primary, running)';

async function memberApi(): Promise<number> {
  const port = await getFreePort();
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(request.url === '/switchover' ? 503 : 404, { 'content-type': 'text/plain' });
      response.end(request.url === '/switchover' ? UNKNOWN : 'not found');
    });
  });
  await new Promise<void>((done) => server!.listen(port, '127.0.0.1', done));
  return port;
}

function member(name: string, role: string, apiPort: number): Member {
  return { name, version: 1, data: { role, state: 'running', ...(role === 'primary' ? {} : { replication_state: 'streaming' }), api_url: `http://127.0.0.1:${apiPort}/patroni`, conn_url: `postgres://127.0.0.1:5432/postgres`, timeline: 1 } };
}

function scriptedDcs(reads: readonly Cluster[]): Dcs {
  let index = 0;
  const dcs = {
    getCluster: async () => ({ ok: true as const, value: reads[Math.min(index++, reads.length - 1)]! }),
    close: async () => undefined,
  };
  return dcs as unknown as Dcs;
}

async function switchover(reads: (apiPort: number) => Cluster[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const apiPort = await memberApi();
  const io = createScriptedIo();
  const code = await runCtl(['-d', 'etcd3://127.0.0.1:2379', 'switchover', 'demo', '--leader', 'node1', '--candidate', 'node2', '--force'], {
    io,
    env: { PATH: process.env['PATH'] ?? '', HOME: '/nonexistent' },
    openDcs: async () => scriptedDcs(reads(apiPort)),
  });
  return { code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

describe('switchover whose outcome the member could not wait for', () => {
  it('prints the 503 line, follows the cluster and succeeds when the hand-over finishes', async () => {
    const before = (port: number): Cluster => ({ members: [member('node1', 'primary', port), member('node2', 'replica', port)], leader: { name: 'node1', version: 1 }, lastLsn: 0 });
    const after = (port: number): Cluster => ({ members: [member('node1', 'replica', port), member('node2', 'primary', port)], leader: { name: 'node2', version: 2 }, lastLsn: 0 });
    const run = await switchover((port) => [before(port), before(port), before(port), after(port)]);
    expect(run.stdout, run.stderr).toContain(`Switchover failed, details: 503, ${UNKNOWN}`);
    expect(run.stderr).toMatch(/switchover done: node2 is the new leader/);
    expect(run.code).toBe(0);
  }, 30_000);
});
