/**
 * What the adapter needs to know, in the words of Patroni's `zookeeper`
 * section (`hosts` as a list or a comma-separated string, default port
 * 2181) plus the cluster identity and the timings. Settings pgwarden cannot
 * honour with its client (TLS, ACLs, auth data) are refused by name, never
 * parsed and ignored.
 */
import { PgwardenError, dcsMemberSettingsShape, parseDcsSettings } from '@pgwarden/core';
import { z } from 'zod';

export const zookeeperConnectionSchema = z
  .object({
    /** List or comma-separated string of `host[:port]`. */
    hosts: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]),
    use_ssl: z.boolean().optional(),
    verify: z.boolean().optional(),
    cacert: z.string().optional(),
    cert: z.string().optional(),
    key: z.string().optional(),
    key_password: z.string().optional(),
    set_acls: z.record(z.unknown()).optional(),
    auth_data: z.record(z.unknown()).optional(),
  })
  .passthrough();

export const zookeeperDcsSettingsSchema = zookeeperConnectionSchema.extend(dcsMemberSettingsShape);

export type ZooKeeperDcsSettings = z.input<typeof zookeeperDcsSettingsSchema>;
type ParsedSettings = z.output<typeof zookeeperDcsSettingsSchema>;

const UNSUPPORTED: ReadonlyArray<readonly [keyof ParsedSettings, string]> = [
  ['use_ssl', 'TLS to ZooKeeper is not supported by pgwarden yet (its client speaks plain TCP)'],
  ['cacert', 'TLS to ZooKeeper is not supported by pgwarden yet'],
  ['cert', 'TLS to ZooKeeper is not supported by pgwarden yet'],
  ['key', 'TLS to ZooKeeper is not supported by pgwarden yet'],
  ['key_password', 'TLS to ZooKeeper is not supported by pgwarden yet'],
  ['verify', 'TLS to ZooKeeper is not supported by pgwarden yet'],
  ['set_acls', 'x509 ACLs need TLS, which pgwarden does not support for ZooKeeper yet'],
  ['auth_data', 'ZooKeeper authentication data is not supported by pgwarden yet'],
];

export function parseZooKeeperSettings(input: unknown): ParsedSettings {
  const settings = parseDcsSettings(zookeeperDcsSettingsSchema, input, 'zookeeper');
  for (const [field, reason] of UNSUPPORTED) {
    const value = settings[field];
    if (value === undefined || value === false) continue;
    throw new PgwardenError('dcs-config-invalid', `zookeeper.${String(field)}: ${reason}; remove it (expected: absent${field === 'use_ssl' ? ' or false' : ''})`);
  }
  return settings;
}

/** `host1:2181,host2:2181`: the list joined as Patroni (kazoo) does, default port 2181. */
export function resolveConnectionString(hosts: string | readonly string[]): string {
  const list = (typeof hosts === 'string' ? hosts.split(',') : [...hosts]).map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (list.length === 0) throw new PgwardenError('dcs-config-invalid', 'zookeeper.hosts: expected at least one host[:port]');
  return list.map((entry) => (/:\d+(\/.*)?$/.test(entry) || /^\[.*\]:\d+$/.test(entry) ? entry : `${entry}:2181`)).join(',');
}
