/**
 * Endpoint discovery as Patroni does it unless `use_proxies` (or `proxy`) is
 * set (spec/dcs.md §3.1): ask etcd for its member list and add every
 * member's client URLs to the endpoints, so that a configuration naming one
 * member still survives that member's outage. Repeated every 10 × ttl; a
 * failure only means we keep the endpoints we have.
 */
import { describeError } from './errors.js';
import type { Logger } from './logger.js';
import type { EtcdTransport } from './transport.js';

export async function discoverEndpoints(transport: EtcdTransport, deadline: number, logger: Logger): Promise<void> {
  try {
    const clientUrls = await transport.run('member-list', deadline, (client, attempt) => client.memberClientUrls(attempt));
    const urls = clientUrls.map((url) => url.replace(/\/+$/, ''));
    const scheme = transport.urls[0]?.startsWith('https:') ? 'https:' : 'http:';
    const added = transport.addEndpoints(urls.filter((url) => url.startsWith(scheme)));
    if (added.length > 0) logger.info({ added, endpoints: transport.urls }, 'etcd endpoints discovered from the member list');
  } catch (error) {
    logger.debug({ error: describeError(error) }, 'etcd member list not available; keeping the configured endpoints');
  }
}
