/**
 * Health checks against REST APIs served over https: HAProxy verifies the
 * members' certificates with the configured CA (check-ssl verify required),
 * while the database traffic itself stays plain TCP.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getFreePort, makeTempDir, startHaproxy, type HaproxyInstance, type TempDir } from '@pgwarden/testkit';
import { renderHaproxyConfig, type HaproxyOptionsInput } from '../src/index.js';
import { connectThrough, waitUntilReached } from './support/client.js';
import { startFakeMember, type FakeMember } from './support/fake-member.js';
import { makeCertificates } from './support/tls.js';

let dir: TempDir;
let members: FakeMember[] = [];
let haproxy: HaproxyInstance | undefined;

beforeEach(() => {
  dir = makeTempDir('haproxy-gen-tls');
});
afterEach(async () => {
  await haproxy?.stop();
  haproxy = undefined;
  await Promise.all(members.map((member) => member.stop()));
  members = [];
  dir.remove();
});

async function start(caFile: string, certificates: { cert: string; key: string }): Promise<number> {
  members = [await startFakeMember('alpha', 'primary', { tls: certificates }), await startFakeMember('bravo', 'replica', { tls: certificates })];
  const primaryPort = await getFreePort();
  const options: HaproxyOptionsInput = {
    bindAddress: '127.0.0.1',
    primary: { port: primaryPort },
    replicas: false,
    healthCheck: { interval: '500ms', fall: 2, rise: 1 },
    restApiTls: { caFile, verifyHost: 'localhost' },
  };
  const path = join(dir.path, 'haproxy.cfg');
  writeFileSync(path, renderHaproxyConfig({ members: members.map((member) => member.member()), lastLsn: 0 }, options));
  haproxy = await startHaproxy({ configPath: path });
  return primaryPort;
}

describe('TLS health checks', () => {
  it('route by https REST APIs whose certificates the configured CA signed', async () => {
    const certificates = makeCertificates(dir.path);
    const port = await start(certificates.caFile, certificates);
    await waitUntilReached(port, (name) => name === 'alpha', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (let round = 0; round < 4; round++) {
      const connection = await connectThrough(port);
      connection.close();
      expect(connection.reached).toBe('alpha');
    }
    expect(members[0]?.checks).toContain('OPTIONS /primary');
    members[0]!.role = 'replica';
    members[1]!.role = 'primary';
    await waitUntilReached(port, (name) => name === 'bravo', 10_000);
  });

  it('mark every member down when the certificates are not signed by the configured CA', async () => {
    const trusted = makeCertificates(dir.path, 'trusted');
    const stranger = makeCertificates(dir.path, 'stranger');
    const port = await start(trusted.caFile, stranger);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await expect(connectThrough(port, 1_000)).rejects.toThrow();
    expect(members[0]?.checks).toEqual([]);
  });
});
