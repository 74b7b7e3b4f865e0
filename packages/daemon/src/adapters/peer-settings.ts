/**
 * How this agent calls the other members' REST APIs (leader race, failsafe
 * check, the twin check at start-up), as Patroni's own client does it and
 * as pgwardenctl does (spec/rest-api.md §2.3): basic auth from
 * `ctl.authentication`, else `restapi.authentication`; the CA from
 * `ctl.cacert`, else `restapi.cafile`; the client certificate from
 * `ctl.certfile`/`keyfile`/`keyfile_password`, else the `restapi` ones (a
 * member whose API requires client certificates accepts its peers' server
 * certificates issued by the same CA); `ctl.insecure` skips the check.
 * Without these, an HTTPS cluster on a private CA sees every peer as
 * unreachable: the leader race ignores better candidates and failsafe mode
 * can never confirm the primary.
 */
import { readFileSync } from 'node:fs';
import { PgwardenError, type PatroniConfig } from '@pgwarden/core';
import type { HttpPeerOptions, PeerTls } from '../runtime/peer-client.js';

type Section = Record<string, unknown>;

function section(parent: unknown, key: string): Section | undefined {
  const value = typeof parent === 'object' && parent !== null ? (parent as Section)[key] : undefined;
  return typeof value === 'object' && value !== null ? (value as Section) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function readPem(path: string | undefined, key: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    throw new PgwardenError('config-invalid', `${key}: cannot read ${path}: ${(error as Error).message}`);
  }
}

export function peerOptionsFrom(local: PatroniConfig): HttpPeerOptions {
  const ctl = section(local, 'ctl') ?? {};
  const restapi = section(local, 'restapi') ?? {};
  const auth = section(ctl, 'authentication') ?? section(restapi, 'authentication');
  const username = text(auth?.['username']);
  const basicAuth = username === undefined ? undefined : `${username}:${String(auth?.['password'] ?? '')}`;
  const fromCtl = (ctlKey: string, restapiKey: string): [string | undefined, string] =>
    text(ctl[ctlKey]) !== undefined ? [text(ctl[ctlKey]), `ctl.${ctlKey}`] : [text(restapi[restapiKey]), `restapi.${restapiKey}`];
  const [caPath, caKey] = fromCtl('cacert', 'cafile');
  const [certPath, certKey] = fromCtl('certfile', 'certfile');
  const [keyPath, keyKey] = fromCtl('keyfile', 'keyfile');
  const [passphrase] = fromCtl('keyfile_password', 'keyfile_password');
  const ca = readPem(caPath, caKey);
  const cert = readPem(certPath, certKey);
  const key = readPem(keyPath, keyKey);
  const tls: PeerTls = {
    rejectUnauthorized: ctl['insecure'] !== true,
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined || key === undefined ? {} : { cert, key }),
    ...(passphrase === undefined ? {} : { passphrase }),
  };
  return { ...(basicAuth === undefined ? {} : { basicAuth }), tls };
}
