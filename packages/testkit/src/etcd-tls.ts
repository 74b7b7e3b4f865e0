/**
 * A throw-away certificate authority for TLS tests of etcd clients: a CA,
 * a server certificate for 127.0.0.1/localhost and a client certificate,
 * made with the openssl command line (EC P-256, valid two days).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from './temp-dirs.js';

export interface TestCertificates {
  readonly dir: TempDir;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function issue(cwd: string, name: string, subject: string, extensions: string): void {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], cwd);
  writeFileSync(join(cwd, `${name}.ext`), extensions);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`], cwd);
}

export function makeTestCertificates(): TestCertificates {
  const dir = makeTempDir('tls');
  const cwd = dir.path;
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=pgwarden-test-ca'], cwd);
  issue(cwd, 'server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  issue(cwd, 'client', '/CN=pgwarden-client', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caFile: join(cwd, 'ca.crt'),
    serverCertFile: join(cwd, 'server.crt'),
    serverKeyFile: join(cwd, 'server.key'),
    clientCertFile: join(cwd, 'client.crt'),
    clientKeyFile: join(cwd, 'client.key'),
  };
}
