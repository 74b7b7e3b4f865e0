/**
 * Schemas of the local-only sections: log, restapi, ctl, etcd3, consul, redis,
 * watchdog, tags, citus. Unknown keys pass through (Patroni ignores them), so
 * a configuration written for a newer Patroni still loads.
 */
import { z } from 'zod';
import { booleanField, hostPortField, integerField, stringField, stringListField } from './fields.js';

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'WARNING', 'ERROR', 'FATAL', 'CRITICAL'] as const;

const logObject = z
  .object({
    // No default: Patroni's is plain text, pgwarden's is JSON lines; an explicit `plain` is honoured.
    type: z.enum(['plain', 'json']).optional(),
    level: z.enum(LOG_LEVELS).default('INFO'),
    traceback_level: z.enum(['DEBUG', 'ERROR']).default('ERROR'),
    format: z
      .union([stringField(), z.array(z.union([stringField(), z.record(stringField())]))])
      .default('%(asctime)s %(levelname)s: %(message)s'),
    dateformat: stringField().optional(),
    static_fields: z.record(z.unknown()).optional(),
    max_queue_size: integerField({ min: 1 }).default(1000),
    dir: stringField().optional(),
    mode: integerField({ min: 0, max: 0o777 }).optional(),
    file_num: integerField({ min: 1 }).default(4),
    file_size: integerField({ min: 1, baseUnit: 'B' }).default(25_000_000),
    loggers: z.record(z.enum(LOG_LEVELS)).optional(),
  })
  .passthrough();
export type LogConfig = z.output<typeof logObject>;
export const logSchema: z.ZodType<LogConfig, z.ZodTypeDef, unknown> = logObject;

const basicAuthSchema = z.object({ username: stringField(), password: stringField() }).passthrough();

const restapiObject = z
  .object({
    listen: hostPortField(),
    connect_address: hostPortField({ advertised: true }),
    proxy_address: stringField().optional(),
    authentication: basicAuthSchema.optional(),
    certfile: stringField().optional(),
    keyfile: stringField().optional(),
    keyfile_password: stringField().optional(),
    cafile: stringField().optional(),
    ciphers: stringField().optional(),
    verify_client: z.enum(['none', 'optional', 'required']).default('none'),
    allowlist: stringListField().optional(),
    allowlist_include_members: booleanField().default(false),
    http_extra_headers: z.record(stringField()).optional(),
    https_extra_headers: z.record(stringField()).optional(),
    request_queue_size: integerField({ min: 0, max: 4096 }).default(5),
  })
  .passthrough();
export type RestapiConfig = z.output<typeof restapiObject>;
export const restapiSchema: z.ZodType<RestapiConfig, z.ZodTypeDef, unknown> = restapiObject;

const ctlObject = z
  .object({
    insecure: booleanField().default(false),
    cacert: stringField().optional(),
    certfile: stringField().optional(),
    keyfile: stringField().optional(),
    keyfile_password: stringField().optional(),
    authentication: basicAuthSchema.optional(),
  })
  .passthrough();
export type CtlConfig = z.output<typeof ctlObject>;
export const ctlSchema: z.ZodType<CtlConfig, z.ZodTypeDef, unknown> = ctlObject;

/** etcd v3: one of host, hosts, url, proxy or srv locates the cluster (checked in the root schema). */
const etcd3Object = z
  .object({
    host: stringField().optional(),
    hosts: z.union([stringField(), stringListField()]).optional(),
    port: integerField({ min: 1, max: 65535 }).optional(),
    url: stringField().optional(),
    proxy: stringField().optional(),
    srv: stringField().optional(),
    srv_suffix: stringField().optional(),
    protocol: z.enum(['http', 'https']).default('http'),
    username: stringField().optional(),
    password: stringField().optional(),
    cacert: stringField().optional(),
    cert: stringField().optional(),
    key: stringField().optional(),
    use_proxies: booleanField().default(false),
  })
  .passthrough();
export type Etcd3Config = z.output<typeof etcd3Object>;
export const etcd3Schema: z.ZodType<Etcd3Config, z.ZodTypeDef, unknown> = etcd3Object;

const consulObject = z
  .object({
    host: stringField().default('127.0.0.1:8500'),
    url: stringField().optional(),
    port: integerField({ min: 1, max: 65535 }).optional(),
    scheme: z.enum(['http', 'https']).default('http'),
    token: stringField().optional(),
    verify: booleanField().optional(),
    cacert: stringField().optional(),
    cert: stringField().optional(),
    key: stringField().optional(),
    dc: stringField().optional(),
    consistency: z.enum(['default', 'consistent', 'stale']).default('default'),
    checks: stringListField().default([]),
    register_service: booleanField().default(false),
    service_tags: stringListField().default([]),
    service_check_interval: z.union([stringField(), z.number()]).default('5s'),
    service_check_tls_server_name: stringField().optional(),
  })
  .passthrough();
export type ConsulConfig = z.output<typeof consulObject>;
export const consulSchema: z.ZodType<ConsulConfig, z.ZodTypeDef, unknown> = consulObject;

/**
 * redis (pgwarden's own DCS; Patroni has none): `host`/`hosts` (one server) or `url`, or `sentinels` +
 * `sentinel_master`; `mode` standalone | replicated (replicated requires `wait_replicas`, checked by the adapter).
 */
const redisObject = z
  .object({
    host: stringField().optional(),
    hosts: z.union([stringField(), stringListField()]).optional(),
    url: stringField().optional(),
    username: stringField().optional(),
    password: stringField().optional(),
    db: integerField({ min: 0 }).optional(),
    ssl: booleanField().optional(),
    cacert: stringField().optional(),
    cert: stringField().optional(),
    key: stringField().optional(),
    mode: z.enum(['standalone', 'replicated']).default('standalone'),
    sentinels: z.union([stringField(), stringListField()]).optional(),
    sentinel_master: stringField().optional(),
    wait_replicas: integerField({ min: 1 }).optional(),
    wait_timeout: z.number().positive().optional(),
  })
  .passthrough();
export type RedisConfig = z.output<typeof redisObject>;
export const redisSchema: z.ZodType<RedisConfig, z.ZodTypeDef, unknown> = redisObject;
/** ZooKeeper: `hosts` (list or comma-separated string) locates the ensemble; TLS/ACL keys are checked by the adapter. */
const zookeeperObject = z
  .object({
    hosts: z.union([stringField(), stringListField()]),
    use_ssl: booleanField().optional(),
    verify: booleanField().optional(),
    cacert: stringField().optional(),
    cert: stringField().optional(),
    key: stringField().optional(),
    key_password: stringField().optional(),
    set_acls: z.record(z.unknown()).optional(),
    auth_data: z.record(z.unknown()).optional(),
  })
  .passthrough();
export type ZooKeeperConfig = z.output<typeof zookeeperObject>;
export const zookeeperSchema: z.ZodType<ZooKeeperConfig, z.ZodTypeDef, unknown> = zookeeperObject;

const WATCHDOG_MODES: Readonly<Record<string, 'off' | 'automatic' | 'required'>> = {
  off: 'off',
  disable: 'off',
  disabled: 'off',
  auto: 'automatic',
  automatic: 'automatic',
  require: 'required',
  required: 'required',
};

/** `mode: off` is a YAML 1.1 boolean false; Patroni reads false as off. */
const watchdogModeField = z.unknown().transform((value, ctx): 'off' | 'automatic' | 'required' => {
  if (value === false) return 'off';
  const mode = typeof value === 'string' ? WATCHDOG_MODES[value.toLowerCase()] : undefined;
  if (mode === undefined) {
    const expected = 'one of off, automatic, required';
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected ${expected}`, params: { expected } });
    return z.NEVER;
  }
  return mode;
});

const watchdogObject = z
  .object({
    mode: watchdogModeField.default('automatic'),
    device: stringField().default('/dev/watchdog'),
    safety_margin: integerField({ min: -1 }).default(5),
    driver: stringField().default('default'),
  })
  .passthrough();
export type WatchdogConfig = z.output<typeof watchdogObject>;
export const watchdogSchema: z.ZodType<WatchdogConfig, z.ZodTypeDef, unknown> = watchdogObject;

const tagsObject = z
  .object({
    nofailover: booleanField().optional(),
    failover_priority: integerField({ min: 0 }).optional(),
    clonefrom: booleanField().optional(),
    noloadbalance: booleanField().optional(),
    replicatefrom: stringField().optional(),
    nosync: booleanField().optional(),
    sync_priority: integerField({ min: 0 }).optional(),
    nostream: booleanField().optional(),
  })
  .passthrough();
export type TagsConfig = z.output<typeof tagsObject>;
export const tagsSchema: z.ZodType<TagsConfig, z.ZodTypeDef, unknown> = tagsObject;

const citusObject = z.object({ group: integerField({ min: 0 }), database: stringField() }).passthrough();
export type CitusConfig = z.output<typeof citusObject>;
export const citusSchema: z.ZodType<CitusConfig, z.ZodTypeDef, unknown> = citusObject;

