/**
 * The few settings pgwardenctl needs, from the Patroni-format file, the
 * `PATRONI_*` environment variables and `--dcs-url`: the cluster name
 * (`scope`), the DCS location (`namespace` + the `etcd3`/`etcd`, `consul` or
 * `redis` or `zookeeper` section), and
 * how to call the members' REST APIs (`ctl` with fallback to `restapi`
 * credentials and CA; `-k` or `ctl.insecure` to skip certificate checks).
 */
import { PgwardenError } from '@pgwarden/core';
import type { DcsUrl } from './dcs-url.js';

export interface Etcd3Settings {
  readonly type: 'etcd3';
  /** `host:port` endpoints. */
  readonly hosts: readonly string[];
  readonly protocol: 'http' | 'https';
  readonly username?: string;
  readonly password?: string;
  readonly cacert?: string;
  readonly cert?: string;
  readonly key?: string;
  /** The raw section, for the adapter's own option parsing. */
  readonly section: Readonly<Record<string, unknown>>;
}

export interface ConsulSettings {
  readonly type: 'consul';
  /** The agent's base address as written (`host:port`, or `url`), for messages. */
  readonly address: string;
  /** The raw section, parsed by the Consul adapter (host, port, url, scheme, token, TLS files, dc, consistency). */
  readonly section: Readonly<Record<string, unknown>>;
}

export interface RedisSettings {
  readonly type: 'redis';
  /** `host:port`, url or Sentinels as written, for messages. */
  readonly address: string;
  /** The raw section (numbers and booleans from the environment converted), parsed by the Redis adapter. */
  readonly section: Readonly<Record<string, unknown>>;
}

export interface ZooKeeperSettings {
  readonly type: 'zookeeper';
  /** `host:port` list (Patroni's `zookeeper.hosts`). */
  readonly hosts: readonly string[];
  /** The raw section, parsed by the ZooKeeper adapter (which refuses what it cannot honour). */
  readonly section: Readonly<Record<string, unknown>>;
}

export type DcsSettings = Etcd3Settings | ConsulSettings | RedisSettings | ZooKeeperSettings;

export interface RestClientSettings {
  readonly username?: string;
  readonly password?: string;
  readonly cacert?: string;
  readonly certfile?: string;
  readonly keyfile?: string;
  readonly keyfilePassword?: string;
  readonly insecure: boolean;
}

export interface CtlSettings {
  readonly scope?: string;
  readonly namespace: string;
  readonly dcs?: DcsSettings;
  readonly rest: RestClientSettings;
  /** The whole file after the environment was applied (for `query`'s credentials and `haproxy`). */
  readonly config: Readonly<Record<string, unknown>>;
}

type Section = Record<string, unknown>;

function section(data: Section, key: string): Section | undefined {
  const value = data[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Section) : undefined;
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

function isTrue(value: unknown): boolean {
  if (typeof value === 'string') return ['on', 'true', 'yes', '1'].includes(value.toLowerCase());
  return value === true || value === 1;
}

const ETCD_KEYS = ['host', 'hosts', 'url', 'proxy', 'srv', 'protocol', 'username', 'password', 'cacert', 'cert', 'key'];
const CONSUL_KEYS = ['host', 'url', 'port', 'scheme', 'token', 'verify', 'cacert', 'cert', 'key', 'dc', 'consistency'];

/** `PATRONI_SCOPE`, `PATRONI_ETCD3_HOSTS`, `PATRONI_CTL_USERNAME`... over the file's values. */
export function applyEnvironment(data: Section, env: NodeJS.ProcessEnv): Section {
  const result: Section = structuredClone(data);
  const put = (path: readonly string[], value: string | undefined): void => {
    if (value === undefined || value === '') return;
    let node = result;
    for (const key of path.slice(0, -1)) {
      if (section(node, key) === undefined) node[key] = {};
      node = node[key] as Section;
    }
    node[path[path.length - 1]!] = value;
  };
  put(['scope'], env['PATRONI_SCOPE']);
  put(['namespace'], env['PATRONI_NAMESPACE']);
  for (const dcs of ['etcd3', 'etcd']) {
    for (const key of ETCD_KEYS) put([dcs, key], env[`PATRONI_${dcs.toUpperCase()}_${key.toUpperCase()}`]);
  }
  for (const key of CONSUL_KEYS) put(['consul', key], env[`PATRONI_CONSUL_${key.toUpperCase()}`]);
  for (const key of REDIS_KEYS) put(['redis', key], env[`PATRONI_REDIS_${key.toUpperCase()}`]);
  put(['zookeeper', 'hosts'], env['PATRONI_ZOOKEEPER_HOSTS']);
  for (const key of ['insecure', 'cacert', 'certfile', 'keyfile', 'keyfile_password']) put(['ctl', key], env[`PATRONI_CTL_${key.toUpperCase()}`]);
  put(['ctl', 'authentication', 'username'], env['PATRONI_CTL_USERNAME']);
  put(['ctl', 'authentication', 'password'], env['PATRONI_CTL_PASSWORD']);
  put(['restapi', 'authentication', 'username'], env['PATRONI_RESTAPI_USERNAME']);
  put(['restapi', 'authentication', 'password'], env['PATRONI_RESTAPI_PASSWORD']);
  put(['restapi', 'cafile'], env['PATRONI_RESTAPI_CAFILE']);
  return result;
}

const REDIS_KEYS = ['host', 'hosts', 'url', 'username', 'password', 'db', 'ssl', 'cacert', 'cert', 'key', 'mode', 'sentinels', 'sentinel_master', 'wait_replicas', 'wait_timeout'];

/** The redis section as the adapter reads it: db/wait_* numbers, ssl a boolean, lists split (the environment gives strings). */
function redisSettings(redis: Section): RedisSettings {
  const normalised: Section = { ...redis };
  for (const key of ['db', 'wait_replicas', 'wait_timeout']) if (typeof normalised[key] === 'string') normalised[key] = Number(normalised[key]);
  if (typeof normalised['ssl'] === 'string') normalised['ssl'] = isTrue(normalised['ssl']);
  const address = text(normalised['url']) ?? text(normalised['host']) ?? String(normalised['sentinels'] ?? normalised['hosts'] ?? '');
  return { type: 'redis', address, section: normalised };
}

function hostList(etcd: Section): string[] {
  const hosts = etcd['hosts'];
  if (Array.isArray(hosts)) return hosts.map(String);
  if (typeof hosts === 'string' && hosts.trim() !== '') return hosts.split(',').map((host) => host.trim()).filter(Boolean);
  const single = text(etcd['host']);
  if (single !== undefined) return [single];
  for (const key of ['url', 'proxy']) {
    const url = text(etcd[key]);
    if (url !== undefined) return [url.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '')];
  }
  return [];
}

function etcdSettings(etcd: Section): Etcd3Settings {
  const hosts = hostList(etcd).map((host) => (/:\d+$/.test(host) ? host : `${host}:2379`));
  if (hosts.length === 0) {
    const srv = text(etcd['srv']);
    throw new PgwardenError('config-file', srv ? 'etcd discovery by SRV record is not supported by pgwardenctl: give host or hosts' : 'The etcd3 section has no host, hosts or url');
  }
  const protocol = text(etcd['protocol']) === 'https' || /^https:/.test(text(etcd['url']) ?? '') ? 'https' : 'http';
  const optional = (key: string): Record<string, string> => {
    const value = text(etcd[key]);
    return value === undefined ? {} : { [key]: value };
  };
  return { type: 'etcd3', hosts, protocol, ...optional('username'), ...optional('password'), ...optional('cacert'), ...optional('cert'), ...optional('key'), section: etcd };
}

function zookeeperSettings(zookeeper: Section): ZooKeeperSettings {
  const hosts = hostList(zookeeper).map((host) => (/:\d+$/.test(host) ? host : `${host}:2181`));
  if (hosts.length === 0) throw new PgwardenError('config-file', 'The zookeeper section has no hosts');
  return { type: 'zookeeper', hosts, section: { ...zookeeper, hosts } };
}

export interface SettingsInput {
  readonly config: Section;
  readonly env: NodeJS.ProcessEnv;
  readonly dcsUrl?: DcsUrl;
  readonly insecure?: boolean;
}

/** The Consul section as the adapter reads it: `port` a number, `verify` a boolean (the environment gives strings). */
function consulSettings(consul: Section): ConsulSettings {
  const normalised: Section = { ...consul };
  if (typeof normalised['port'] === 'string') normalised['port'] = Number(normalised['port']);
  if (typeof normalised['verify'] === 'string') normalised['verify'] = isTrue(normalised['verify']);
  const address = text(normalised['url']) ?? `${text(normalised['host']) ?? '127.0.0.1:8500'}`;
  return { type: 'consul', address, section: normalised };
}

export function buildCtlSettings(input: SettingsInput): CtlSettings {
  const config = applyEnvironment(input.config, input.env);
  let namespace = text(config['namespace']) ?? '/service';
  let dcs: DcsSettings | undefined;
  if (input.dcsUrl !== undefined) {
    const url = input.dcsUrl;
    if (url.scheme === 'consul') {
      const previous = section(config, 'consul') ?? {};
      dcs = consulSettings({ ...previous, host: `${url.host}:${url.port}`, url: undefined, port: undefined });
    } else if (url.scheme === 'redis' || url.scheme === 'rediss') {
      const previous = section(config, 'redis') ?? {};
      dcs = redisSettings({ ...previous, host: `${url.host}:${url.port}`, hosts: undefined, url: undefined, sentinels: undefined, sentinel_master: undefined, ...(url.scheme === 'rediss' ? { ssl: true } : {}) });
    } else if (url.scheme === 'etcd' || url.scheme === 'etcd3') {
      const previous = section(config, 'etcd3') ?? section(config, 'etcd') ?? {};
      dcs = etcdSettings({ ...previous, host: `${url.host}:${url.port}`, hosts: undefined, url: undefined, proxy: undefined, srv: undefined });
    } else if (url.scheme === 'zookeeper') {
      dcs = zookeeperSettings({ ...(section(config, 'zookeeper') ?? {}), hosts: [`${url.host}:${url.port}`] });
    } else {
      throw new PgwardenError('unsupported-dcs', `pgwardenctl supports etcd v3 (etcd3://host:port), Consul (consul://host:port), Redis (redis://host:port) and ZooKeeper (zookeeper://host:port), not ${url.scheme}`);
    }
    if (url.namespace !== undefined) namespace = url.namespace;
  } else {
    const etcd = section(config, 'etcd3') ?? section(config, 'etcd');
    const consul = section(config, 'consul');
    const redis = section(config, 'redis');
    const zookeeper = section(config, 'zookeeper');
    if (etcd !== undefined) dcs = etcdSettings(etcd);
    else if (consul !== undefined) dcs = consulSettings(consul);
    else if (redis !== undefined) dcs = redisSettings(redis);
    else if (zookeeper !== undefined) dcs = zookeeperSettings(zookeeper);
  }
  const ctl = section(config, 'ctl') ?? {};
  const restapi = section(config, 'restapi') ?? {};
  const auth = section(ctl, 'authentication') ?? section(restapi, 'authentication') ?? {};
  const rest: Record<string, unknown> = {
    username: text(auth['username']),
    password: text(auth['password']),
    cacert: text(ctl['cacert']) ?? text(restapi['cafile']),
    certfile: text(ctl['certfile']),
    keyfile: text(ctl['keyfile']),
    keyfilePassword: text(ctl['keyfile_password']),
    insecure: input.insecure === true || isTrue(ctl['insecure']),
  };
  for (const key of Object.keys(rest)) if (rest[key] === undefined) delete rest[key];
  const scope = text(config['scope']);
  return { ...(scope !== undefined ? { scope } : {}), namespace, ...(dcs ? { dcs } : {}), rest: rest as unknown as RestClientSettings, config };
}
