/**
 * The `restapi` section turned into what the listener and the request
 * handler use: validated config, address, TLS material, extra headers and
 * access control. A reload compares two of these to decide whether the
 * listener must be rebound or only its certificate swapped.
 */
import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import { PgwardenError } from '@pgwarden/core';
import { AccessControl } from './access-control.js';
import { restApiConfigSchema, type RestApiConfig, type RestApiLogger } from './options.js';

export interface ListenerSettings {
  readonly config: RestApiConfig;
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  readonly extraHeaders: Readonly<Record<string, string>>;
  readonly access: AccessControl;
}

function splitHostPort(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  const port = Number(listen.slice(colon + 1));
  if (colon < 0 || listen.slice(colon + 1) === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new PgwardenError('restapi-config', `Invalid "restapi" config: expected <HOST>:<PORT> for "listen", but got "${listen}"`);
  }
  const host = listen.slice(0, colon).replace(/^\[|\]$/g, '');
  return { host: host === '' || host === '*' ? '::' : host, port };
}

/** Validate the `restapi` section; throws PgwardenError(`restapi-config`) naming what is wrong. */
export function prepareSettings(raw: RestApiConfig, logger: RestApiLogger): ListenerSettings {
  const parsed = restApiConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `restapi.${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new PgwardenError('restapi-config', `Invalid "restapi" config: ${problems}`);
  }
  const config = parsed.data;
  const tls = config.certfile !== undefined && config.certfile !== '';
  return {
    config,
    tls,
    ...splitHostPort(config.listen),
    extraHeaders: { ...config.http_extra_headers, ...(tls ? config.https_extra_headers : {}) },
    access: new AccessControl(config, tls, logger),
  };
}

/** Certificate, key and CA read from disk now (on start and on every reload, for rotation). */
export function readTlsMaterial(config: RestApiConfig): SecureContextOptions {
  try {
    return {
      cert: readFileSync(config.certfile ?? ''),
      key: readFileSync(config.keyfile ?? config.certfile ?? ''),
      ...(config.keyfile_password !== undefined ? { passphrase: config.keyfile_password } : {}),
      ...(config.cafile !== undefined ? { ca: readFileSync(config.cafile) } : {}),
      ...(config.ciphers !== undefined ? { ciphers: config.ciphers } : {}),
    };
  } catch (error) {
    throw new PgwardenError('restapi-tls', `cannot read the REST API certificate or key: ${(error as Error).message}`, { cause: error });
  }
}

/** The listen backlog: `request_queue_size` (the agent's configuration defaults it to 5, as Patroni). */
export function listenBacklog(settings: ListenerSettings): number {
  const size = settings.config.request_queue_size; // validated: a number once parsed
  return typeof size === 'number' ? size : 511;
}

/** A new listener is needed when the address, TLS on/off, client verification or the backlog changes. */
export function needsNewListener(current: ListenerSettings, next: ListenerSettings): boolean {
  return (
    current.host !== next.host ||
    current.port !== next.port ||
    current.tls !== next.tls ||
    (current.config.verify_client ?? 'none') !== (next.config.verify_client ?? 'none') ||
    // the listen backlog is fixed when the socket listens
    listenBacklog(current) !== listenBacklog(next)
  );
}
