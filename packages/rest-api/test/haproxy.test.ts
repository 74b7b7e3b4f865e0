/**
 * The contract that matters most, checked with a real HAProxy: its
 * `option httpchk OPTIONS /primary` and `/replica` checks read our bare
 * status line, mark the right member UP, and follow a switchover once the
 * agents hand over new snapshots.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { getFreePorts, makeTempDir, startHaproxy, waitUntil, type HaproxyInstance, type TempDir } from '@pgwarden/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { primarySnapshot, replicaSnapshot, startApi, stopAll } from './fixtures.js';

const haproxies: HaproxyInstance[] = [];
const directories: TempDir[] = [];

afterAll(async () => {
  await Promise.all(haproxies.map((instance) => instance.stop()));
  for (const directory of directories) directory.remove();
  await stopAll();
});

function tempDirectory(): TempDir {
  const directory = makeTempDir('rest-api-haproxy');
  directories.push(directory);
  return directory;
}

function adminCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let answer = '';
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

/** `backend/server` → UP / DOWN from `show stat`. */
async function serverStates(socketPath: string): Promise<Record<string, string>> {
  const csv = await adminCommand(socketPath, 'show stat');
  const states: Record<string, string> = {};
  for (const line of csv.split('\n')) {
    const [backend, server, ...rest] = line.split(',');
    if (backend === undefined || server === undefined || server === 'BACKEND' || server === 'FRONTEND' || line.startsWith('#')) continue;
    states[`${backend}/${server}`] = rest[15] ?? '';
  }
  return states;
}

describe('HAProxy health checks against the API', () => {
  it('routes /primary and /replica to the right members and follows a switchover', async () => {
    // The API's clock is real here: HAProxy checks continuously while the test waits.
    const now = Date.now;
    const fresh = () => ({ clusterReadAtMs: now(), lockRenewedAtMs: now(), dcsLastSeenMs: now(), nextCycleAtMs: now() + 10_000 });
    const node1 = await startApi(primarySnapshot(fresh()), { now });
    const { lockRenewedAtMs: _none, ...replicaTimes } = fresh();
    const node2 = await startApi(replicaSnapshot(replicaTimes), { now });
    const [primaryPort, replicaPort, pg1, pg2] = await getFreePorts(4);
    const directory = tempDirectory();
    const adminSocket = join(directory.path, 'admin.sock');
    const configPath = join(directory.path, 'haproxy.cfg');
    const servers = `    server node1 127.0.0.1:${pg1} check port ${node1.port}\n    server node2 127.0.0.1:${pg2} check port ${node2.port}\n`;
    writeFileSync(
      configPath,
      `global\n    stats socket ${adminSocket} level admin\n` +
        `defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n    default-server inter 100ms fall 2 rise 1\n` +
        `listen primary\n    bind 127.0.0.1:${primaryPort}\n    option httpchk OPTIONS /primary\n    http-check expect status 200\n${servers}` +
        `listen replicas\n    bind 127.0.0.1:${replicaPort}\n    option httpchk OPTIONS /replica?lag=16MB&replication_state=streaming\n    http-check expect status 200\n${servers}`,
    );
    haproxies.push(await startHaproxy({ configPath }));
    const expected = { 'primary/node1': 'UP', 'primary/node2': 'DOWN', 'replicas/node1': 'DOWN', 'replicas/node2': 'UP' };
    const seen = await waitUntil(async () => {
      const states = await serverStates(adminSocket);
      return JSON.stringify(states) === JSON.stringify(expected) ? states : undefined;
    }, { timeoutMs: 15_000, what: 'HAProxy to mark node1 primary and node2 replica' });
    expect(seen).toEqual(expected);

    node1.api.setSnapshot(replicaSnapshot({ ...replicaTimes, name: 'node1' }));
    node2.api.setSnapshot(primarySnapshot({ ...fresh(), name: 'node2' }));
    const flipped = { 'primary/node1': 'DOWN', 'primary/node2': 'UP', 'replicas/node1': 'UP', 'replicas/node2': 'DOWN' };
    await waitUntil(async () => JSON.stringify(await serverStates(adminSocket)) === JSON.stringify(flipped), {
      timeoutMs: 15_000,
      what: 'HAProxy to follow the switchover',
    });
  });

  it('checks over HTTPS (check-ssl) as Patroni users with a TLS REST API configure it', async () => {
    const directory = tempDirectory();
    const file = (name: string) => join(directory.path, name);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', file('api.key'), '-out', file('api.crt'), '-days', '2', '-subj', '/CN=127.0.0.1'], { stdio: 'pipe' });
    const now = Date.now;
    const times = { clusterReadAtMs: now(), lockRenewedAtMs: now(), dcsLastSeenMs: now(), nextCycleAtMs: now() + 10_000 };
    // Start as a replica (503): DOWN proves the checks run; then UP proves they pass over TLS.
    const { lockRenewedAtMs: _none, ...replicaTimes } = times;
    const node1 = await startApi(replicaSnapshot({ ...replicaTimes, name: 'node1' }), { now, config: { listen: '127.0.0.1:0', certfile: file('api.crt'), keyfile: file('api.key') } });
    const [frontPort, pg1] = await getFreePorts(2);
    const adminSocket = file('admin.sock');
    writeFileSync(
      file('haproxy.cfg'),
      `global\n    stats socket ${adminSocket} level admin\n` +
        `defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n    default-server inter 100ms fall 2 rise 1\n` +
        `listen primary\n    bind 127.0.0.1:${frontPort}\n    option httpchk OPTIONS /primary\n    http-check expect status 200\n` +
        `    server node1 127.0.0.1:${pg1} check port ${node1.port} check-ssl verify none\n`,
    );
    haproxies.push(await startHaproxy({ configPath: file('haproxy.cfg') }));
    await waitUntil(async () => (await serverStates(adminSocket))['primary/node1'] === 'DOWN', {
      timeoutMs: 15_000,
      what: 'HAProxy to mark the TLS replica DOWN for /primary',
    });
    node1.api.setSnapshot(primarySnapshot({ ...times, lockRenewedAtMs: now() }));
    const states = await waitUntil(async () => {
      const current = await serverStates(adminSocket);
      return current['primary/node1'] === 'UP' ? current : undefined;
    }, { timeoutMs: 15_000, what: 'HAProxy to mark the TLS member UP' });
    expect(states).toEqual({ 'primary/node1': 'UP' });
  });
});
