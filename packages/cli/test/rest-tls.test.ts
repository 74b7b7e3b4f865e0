/**
 * pgwardenctl against REST APIs served over TLS (restapi.certfile/keyfile),
 * with certificates made for the test: `ctl.cacert` verifies the member,
 * without it the request is refused in one line, and `-k` skips the check as
 * patronictl's does. One real member (agent, PostgreSQL 15, etcd).
 */
import { makeTestCertificates, startPgwardenCluster, type PgwardenCluster, type TestCertificates } from '@pgwarden/testkit';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { API_AUTH, waitForRows } from './helpers/cluster.js';
import { ctl } from './helpers/run-ctl.js';

const SCOPE = 'tls-demo';
let certificates: TestCertificates | undefined;
let cluster: PgwardenCluster | undefined;
let trusting: string;
let plain: string;

beforeAll(async () => {
  certificates = makeTestCertificates();
  cluster = await startPgwardenCluster({
    scope: SCOPE,
    size: 1,
    restApiTls: { certFile: certificates.serverCertFile, keyFile: certificates.serverKeyFile, caFile: certificates.caFile },
    configure: (_name, config) => ({ ...config, restapi: { ...(config['restapi'] as object), authentication: API_AUTH } }),
  });
  const base = { scope: SCOPE, namespace: cluster.namespace, etcd3: { hosts: cluster.etcd.endpoints[0]!.replace(/^https?:\/\//, '') } };
  trusting = join(cluster.dir, 'trusting.yaml');
  writeFileSync(trusting, stringify({ ...base, ctl: { cacert: certificates.caFile, authentication: API_AUTH } }));
  plain = join(cluster.dir, 'plain.yaml');
  writeFileSync(plain, stringify({ ...base, ctl: { authentication: API_AUTH } }));
  await waitForRows(trusting, (rows) => rows.length === 1 && rows[0]?.Role === 'Leader' && rows[0].State === 'running', 90_000);
}, 150_000);

afterAll(async () => {
  await cluster?.stop();
  certificates?.dir.remove();
}, 60_000);

describe('pgwardenctl and a REST API over TLS', () => {
  it('publishes an https api_url', async () => {
    const answer = await cluster!.member('node1').request('GET', '/cluster');
    expect(answer.status).toBe(200);
    const members = answer.json<{ members: Array<{ name: string; api_url: string }> }>().members;
    expect(members.map((member) => member.api_url)).toEqual([`https://127.0.0.1:${cluster!.member('node1').apiPort}/patroni`]);
  });

  it('verifies the member with ctl.cacert', async () => {
    const run = await ctl(['-c', trusting, 'reload', SCOPE, 'node1', '--force']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/node1/);
  });

  it('refuses an unverified certificate in one line', async () => {
    const run = await ctl(['-c', plain, 'reload', SCOPE, 'node1', '--force']);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^Error: .*node1.*(certificate|self.signed|issuer)/i);
  });

  it('skips the check with -k, as patronictl does', async () => {
    const run = await ctl(['-c', plain, '-k', 'reload', SCOPE, 'node1', '--force']);
    expect(run.code, run.stderr).toBe(0);
  });
});
