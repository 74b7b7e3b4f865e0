/**
 * Access control over real HTTP and HTTPS: basic authentication on unsafe
 * methods only, the client-address allowlist (with members' addresses), and
 * TLS with certificates made by openssl in the test: server certificate
 * signed by a test CA, an encrypted key, verify_client optional/required
 * with a client certificate.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RecordingController, cluster, member, primarySnapshot, send, startApi, stopAll } from './fixtures.js';

afterEach(stopAll);

const AUTH = { authentication: { username: 'admin', password: 's3cr3t' } };
const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('basic authentication (restapi.authentication)', () => {
  it('leaves GET, HEAD and OPTIONS open', async () => {
    const { base } = await startApi(primarySnapshot(), { config: { listen: '127.0.0.1:0', ...AUTH } });
    expect((await send(base, 'GET', '/patroni')).status).toBe(200);
    expect((await send(base, 'OPTIONS', '/primary')).status).toBe(200);
  });

  it('answers 401 "no auth header received" with a Basic challenge when the header is missing', async () => {
    const controller = new RecordingController();
    const { base } = await startApi(primarySnapshot(), { config: { listen: '127.0.0.1:0', ...AUTH } }, controller);
    const response = await send(base, 'POST', '/reload');
    expect(response).toMatchObject({ status: 401, text: 'no auth header received' });
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="Patroni"');
    expect(controller.calls).toEqual([]);
  });

  it('answers 401 "not authenticated" for a wrong password or a non-Basic scheme', async () => {
    const controller = new RecordingController();
    const { base } = await startApi(primarySnapshot(), { config: { listen: '127.0.0.1:0', ...AUTH } }, controller);
    expect(await send(base, 'POST', '/reload', undefined, basic('admin', 'wrong'))).toMatchObject({ status: 401, text: 'not authenticated' });
    expect((await send(base, 'PATCH', '/config', { ttl: 40 }, { Authorization: 'Bearer s3cr3t' })).status).toBe(401);
    expect(controller.calls).toEqual([]);
  });

  it('lets the right credentials through', async () => {
    const controller = new RecordingController();
    const { base } = await startApi(primarySnapshot(), { config: { listen: '127.0.0.1:0', ...AUTH } }, controller);
    expect((await send(base, 'POST', '/reload', undefined, basic('admin', 's3cr3t'))).status).toBe(202);
    expect(controller.writes()).toEqual([{ method: 'reload', args: [] }]);
  });
});

describe('allowlist', () => {
  it('refuses an address outside the allowlist with 403 "Access is denied"', async () => {
    const controller = new RecordingController();
    const { base } = await startApi(primarySnapshot(), { config: { listen: '127.0.0.1:0', allowlist: ['10.0.0.0/8', '192.0.2.7'] } }, controller);
    expect(await send(base, 'POST', '/reload')).toMatchObject({ status: 403, text: 'Access is denied' });
    expect((await send(base, 'GET', '/patroni')).status).toBe(200);
    expect(controller.calls).toEqual([]);
  });

  it('accepts addresses in a listed network or resolved from a listed host name', async () => {
    const network = await startApi(primarySnapshot(), { config: { listen: '127.0.0.1:0', allowlist: ['127.0.0.0/8'] } });
    expect((await send(network.base, 'POST', '/reload')).status).toBe(202);
    const host = await startApi(primarySnapshot(), { config: { listen: '127.0.0.1:0', allowlist: ['localhost'] } });
    expect((await send(host.base, 'POST', '/reload')).status).toBe(202);
  });

  it('with allowlist_include_members, accepts members\' api_url addresses, except for POST /failsafe (4.x)', async () => {
    const snapshot = primarySnapshot({ failsafeMode: true, cluster: cluster({ members: [member('node1'), member('node2')] }) });
    const config = { listen: '127.0.0.1:0', allowlist: ['10.0.0.0/8'], allowlist_include_members: true };
    const { base } = await startApi(snapshot, { config });
    expect((await send(base, 'POST', '/reload')).status).toBe(202);
    expect((await send(base, 'POST', '/failsafe', { name: 'node2' })).status).toBe(403);
  });
});

describe('TLS', () => {
  let directory = '';
  const file = (name: string) => join(directory, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: directory, stdio: 'pipe' });

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'pgwarden-rest-api-tls-'));
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=pgwarden test CA');
    writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
    openssl('pkey', '-in', 'server.key', '-aes256', '-passout', 'pass:keypass', '-out', 'server-encrypted.key');
    openssl('req', ...ec, '-keyout', 'rotated.key', '-out', 'rotated.csr', '-subj', '/CN=127.0.0.1');
    openssl('x509', '-req', '-in', 'rotated.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'rotated.crt', '-days', '2', '-extfile', 'server.ext');
    openssl('req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=pgwardenctl');
    openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2');
    openssl('req', '-x509', ...ec, '-keyout', 'rogue.key', '-out', 'rogue.crt', '-days', '2', '-subj', '/CN=rogue');
  });

  afterAll(() => {
    if (directory !== '') rmSync(directory, { recursive: true, force: true });
  });

  function call(port: number, method: string, path: string, client?: 'client' | 'rogue'): Promise<{ status: number; text: string; headers: Record<string, unknown>; serial: string }> {
    return new Promise((resolve, reject) => {
      const request = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          ca: readFileSync(file('ca.crt')),
          ...(client !== undefined ? { cert: readFileSync(file(`${client}.crt`)), key: readFileSync(file(`${client}.key`)) } : {}),
          agent: false,
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          const serial = (response.socket as import('node:tls').TLSSocket).getPeerCertificate().serialNumber;
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text, headers: response.headers, serial }));
        },
      );
      request.on('error', reject);
      request.end();
    });
  }

  const tlsConfig = (extra: Record<string, unknown> = {}) => ({
    listen: '127.0.0.1:0',
    certfile: file('server.crt'),
    keyfile: file('server-encrypted.key'),
    keyfile_password: 'keypass',
    https_extra_headers: { 'Strict-Transport-Security': 'max-age=31536000' },
    http_extra_headers: { 'X-Cluster': 'demo' },
    ...extra,
  });

  it('serves HTTPS with an encrypted key, advertises https, adds both extra header sets', async () => {
    const { port, api } = await startApi(primarySnapshot(), { config: tlsConfig() });
    const response = await call(port, 'GET', '/patroni');
    expect(response.status).toBe(200);
    expect(response.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(response.headers['x-cluster']).toBe('demo');
    expect(api.apiUrl).toBe(`https://127.0.0.1:${port}/patroni`);
  });

  it('fails to start with a clear error when the key password is wrong', async () => {
    await expect(startApi(primarySnapshot(), { config: tlsConfig({ keyfile_password: 'nope' }) })).rejects.toThrow(/certificate or key/);
  });

  it('verify_client required: refuses the handshake without a client certificate, serves with one', async () => {
    const { port } = await startApi(primarySnapshot(), { config: tlsConfig({ cafile: file('ca.crt'), verify_client: 'required' }) });
    await expect(call(port, 'GET', '/patroni')).rejects.toThrow();
    await expect(call(port, 'GET', '/patroni', 'rogue')).rejects.toThrow();
    expect((await call(port, 'GET', '/patroni', 'client')).status).toBe(200);
    expect((await call(port, 'POST', '/reload', 'client')).status).toBe(202);
  });

  it('verify_client optional: reads stay open, unsafe methods need a valid client certificate (403)', async () => {
    const controller = new RecordingController();
    const { port } = await startApi(primarySnapshot(), { config: tlsConfig({ cafile: file('ca.crt'), verify_client: 'OPTIONAL' }) }, controller);
    expect((await call(port, 'GET', '/patroni')).status).toBe(200);
    expect(await call(port, 'POST', '/reload')).toMatchObject({ status: 403, text: 'client certificate required' });
    expect(await call(port, 'POST', '/reload', 'rogue')).toMatchObject({ status: 403, text: 'client certificate required' });
    expect(controller.calls).toEqual([]);
    expect((await call(port, 'POST', '/reload', 'client')).status).toBe(202);
  });

  it('reload swaps a rotated certificate in without rebinding, and applies new credentials', async () => {
    const controller = new RecordingController();
    const { port, api } = await startApi(primarySnapshot(), { config: tlsConfig() }, controller);
    const before = await call(port, 'GET', '/patroni');
    await api.reload({ ...tlsConfig({ certfile: file('rotated.crt'), keyfile: file('rotated.key'), keyfile_password: undefined }), listen: `127.0.0.1:${port}`, ...AUTH });
    const after = await call(port, 'GET', '/patroni');
    expect(after.status).toBe(200);
    expect(after.serial).not.toBe(before.serial);
    expect(api.address?.port).toBe(port);
    expect((await call(port, 'POST', '/reload')).status).toBe(401);
  });

  it('reload keeps the running configuration when the new one is invalid', async () => {
    const { port, api } = await startApi(primarySnapshot(), { config: tlsConfig() });
    await expect(api.reload({ ...tlsConfig({ keyfile_password: 'nope' }), listen: `127.0.0.1:${port}` })).rejects.toThrow(/certificate or key/);
    await expect(api.reload({ listen: 'no-port-here' })).rejects.toThrow(/expected <HOST>:<PORT>/);
    expect((await call(port, 'GET', '/patroni')).status).toBe(200);
  });
});

describe('reload', () => {
  it('rebinds when listen changes', async () => {
    const { api, base } = await startApi(primarySnapshot());
    expect((await send(base, 'GET', '/patroni')).status).toBe(200);
    await api.reload({ listen: '127.0.0.1:0', http_extra_headers: { 'X-Reloaded': 'yes' } });
    const moved = `http://127.0.0.1:${api.address?.port}`;
    const response = await send(moved, 'GET', '/patroni');
    expect(response.headers.get('x-reloaded')).toBe('yes');
  });

  it('listens with request_queue_size as the backlog, and a reload that changes it rebinds on the same port', async () => {
    // `ss` shows a listening socket's backlog in its Send-Q column
    const backlog = (port: number): number => Number(execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' }).trim().split(/\s+/)[2]);
    const { api, port } = await startApi(primarySnapshot(), { config: { listen: '127.0.0.1:0', request_queue_size: 5 } });
    expect(backlog(port)).toBe(5);
    await api.reload({ listen: `127.0.0.1:${port}`, request_queue_size: 64 });
    expect(api.address?.port).toBe(port);
    expect(backlog(port)).toBe(64);
    expect((await send(`http://127.0.0.1:${port}`, 'GET', '/patroni')).status).toBe(200);
  });

  it('keeps serving on the old address when the new one cannot be bound', async () => {
    const { api } = await startApi(primarySnapshot());
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      await expect(api.reload({ listen: `127.0.0.1:${taken}` })).rejects.toThrow(/Couldn't start a service/);
      expect((await send(`http://127.0.0.1:${api.address?.port}`, 'GET', '/patroni')).status).toBe(200);
    } finally {
      blocker.close();
    }
  });
});
