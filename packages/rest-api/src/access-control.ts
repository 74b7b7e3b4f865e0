/**
 * Access control of the modifying endpoints (spec/rest-api.md §2.2), in
 * Patroni's order: client address allowlist (403 `Access is denied`), client
 * certificate with `verify_client` (403 `client certificate required`), then
 * basic authentication (401, compared in constant time).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Cluster } from '@pgwarden/core';
import type { Reply } from './http-io.js';
import type { RestApiConfig, RestApiLogger } from './options.js';

const ACCESS_DENIED: Reply = { status: 403, body: 'Access is denied' };
const CERTIFICATE_REQUIRED: Reply = { status: 403, body: 'client certificate required' };
const AUTHENTICATE = { 'WWW-Authenticate': 'Basic realm="Patroni"' };

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** `::ffff:10.0.0.1` → `10.0.0.1`, so IPv4 rules match dual-stack sockets. */
export function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function addAddress(list: BlockList, address: string): void {
  const normalised = normaliseAddress(address);
  const family = isIP(normalised);
  if (family !== 0) list.addAddress(normalised, family === 4 ? 'ipv4' : 'ipv6');
}

async function resolveInto(list: BlockList, host: string, logger: RestApiLogger): Promise<void> {
  if (isIP(host) !== 0) {
    addAddress(list, host);
    return;
  }
  try {
    for (const entry of await lookup(host, { all: true })) addAddress(list, entry.address);
  } catch (error) {
    logger.error({ host, error: (error as Error).message }, 'failed to resolve an allowlist host');
  }
}

export class AccessControl {
  private readonly authDigest: Buffer | undefined;
  private allowlist: BlockList | undefined;
  private membersCache: { cluster: Cluster; list: Promise<BlockList> } | undefined;

  constructor(
    private readonly config: RestApiConfig,
    private readonly tls: boolean,
    private readonly logger: RestApiLogger,
  ) {
    const auth = config.authentication;
    this.authDigest = auth === undefined ? undefined : digest(Buffer.from(`${auth.username}:${auth.password}`).toString('base64'));
  }

  /** Resolve the allowlist (hosts, addresses, CIDR networks) once, at start. */
  async prepare(): Promise<void> {
    const entries = this.config.allowlist;
    if (entries === undefined) return;
    const list = new BlockList();
    for (const entry of entries) {
      const slash = entry.indexOf('/');
      if (slash < 0) {
        await resolveInto(list, entry, this.logger);
        continue;
      }
      const network = normaliseAddress(entry.slice(0, slash));
      const prefix = Number(entry.slice(slash + 1));
      const family = isIP(network);
      if (family === 0 || !Number.isInteger(prefix)) {
        this.logger.error({ entry }, 'invalid network in restapi.allowlist, ignored');
        continue;
      }
      list.addSubnet(network, prefix, family === 4 ? 'ipv4' : 'ipv6');
    }
    this.allowlist = list;
  }

  private membersList(cluster: Cluster | undefined): Promise<BlockList> | undefined {
    if (cluster === undefined) return undefined;
    if (this.membersCache?.cluster === cluster) return this.membersCache.list;
    const list = (async () => {
      const result = new BlockList();
      for (const member of cluster.members) {
        const apiUrl = member.data.api_url;
        if (apiUrl === undefined) continue;
        try {
          const hostname = new URL(apiUrl).hostname.replace(/^\[|\]$/g, '');
          await resolveInto(result, hostname, this.logger);
        } catch {
          this.logger.debug({ apiUrl }, 'failed to parse a member api_url');
        }
      }
      return result;
    })();
    this.membersCache = { cluster, list };
    return list;
  }

  private async addressAllowed(request: IncomingMessage, includeMembers: boolean, cluster: Cluster | undefined): Promise<boolean> {
    const checkMembers = includeMembers && this.config.allowlist_include_members === true;
    if (this.allowlist === undefined && !checkMembers) return true;
    const address = normaliseAddress(request.socket.remoteAddress ?? '');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (this.allowlist?.check(address, family) === true) return true;
    const members = checkMembers ? this.membersList(cluster) : undefined;
    return members !== undefined && (await members).check(address, family);
  }

  /** Undefined when the request may proceed, else the refusal to send. */
  async check(request: IncomingMessage, includeMembers: boolean, cluster: Cluster | undefined): Promise<Reply | undefined> {
    if (!(await this.addressAllowed(request, includeMembers, cluster))) return ACCESS_DENIED;
    const verify = this.config.verify_client;
    if (this.tls && (verify === 'required' || verify === 'optional')) {
      const socket = request.socket as TLSSocket;
      if (!socket.authorized) return CERTIFICATE_REQUIRED;
    }
    if (this.authDigest === undefined) return undefined;
    const header = request.headers.authorization;
    if (header === undefined) return { status: 401, body: 'no auth header received', headers: AUTHENTICATE };
    if (!header.startsWith('Basic ') || !timingSafeEqual(digest(header.slice(6)), this.authDigest)) {
      return { status: 401, body: 'not authenticated', headers: AUTHENTICATE };
    }
    return undefined;
  }
}
