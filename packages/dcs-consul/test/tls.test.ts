/**
 * Patroni's consul TLS options (`cacert`, `cert`, `key`, `verify`) against
 * the Consul model served over HTTPS with client-certificate checking (a
 * model of the API, not a real Consul).
 */
import { readFileSync } from 'node:fs';
import { makeTestCertificates, startConsulModel, type ConsulModel, type TestCertificates } from '@pgwarden/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConsulDcs } from '../src/index.js';

let certificates: TestCertificates;
let model: ConsulModel;

beforeAll(async () => {
  certificates = makeTestCertificates();
  model = await startConsulModel({
    sessionTtlMinMs: 1000,
    tls: { key: readFileSync(certificates.serverKeyFile, 'utf8'), cert: readFileSync(certificates.serverCertFile, 'utf8'), ca: readFileSync(certificates.caFile, 'utf8') },
  });
});
afterAll(async () => {
  await model?.close();
  certificates?.dir.remove();
});

const base = { scope: 'tls', name: 'node1', ttlSeconds: 4, loopWaitSeconds: 1, retryTimeoutSeconds: 1 };

it('with cacert, cert and key the adapter talks https and holds the lock', async () => {
  const dcs = new ConsulDcs({ ...base, host: `127.0.0.1:${model.port}`, scheme: 'https', cacert: certificates.caFile, cert: certificates.clientCertFile, key: certificates.clientKeyFile });
  try {
    expect((await dcs.acquireLeader()).kind).toBe('held');
  } finally {
    await dcs.close();
  }
});

it('without the CA the server certificate is refused: unreachable, naming the TLS problem', async () => {
  const dcs = new ConsulDcs({ ...base, scope: 'tls-noca', url: model.url, cert: certificates.clientCertFile, key: certificates.clientKeyFile });
  try {
    const outcome = await dcs.acquireLeader();
    expect(outcome.kind).toBe('unreachable');
    if (outcome.kind === 'unreachable') expect(outcome.message).toMatch(/certificate/i);
  } finally {
    await dcs.close();
  }
});

it('verify: false accepts the server certificate without the CA', async () => {
  const dcs = new ConsulDcs({ ...base, scope: 'tls-noverify', url: model.url, verify: false, cert: certificates.clientCertFile, key: certificates.clientKeyFile });
  try {
    expect((await dcs.acquireLeader()).kind).toBe('held');
  } finally {
    await dcs.close();
  }
});
